package index

import (
	"bytes"
	"fmt"
	"io"
)

// lineBounded passes text through to w and fails as soon as one line is
// longer than maxLine bytes, or the whole text is longer than max bytes,
// so a small index that inflates to one huge line is refused after about
// maxLine bytes instead of being held in memory.
type lineBounded struct {
	w        io.Writer
	max      int64
	total    int64
	lineLen  int
	lineNo   int
	exceeded error
}

func (b *lineBounded) Write(p []byte) (int, error) {
	if b.exceeded != nil {
		return 0, b.exceeded
	}
	b.total += int64(len(p))
	if b.total > b.max {
		b.exceeded = fmt.Errorf("%w: APKINDEX text is larger than %d bytes", ErrFormat, b.max)
		return 0, b.exceeded
	}
	// A newline must come within the next maxLine-lineLen+1 bytes; the
	// last one in that window starts the line checked next, so a window
	// is searched once (backwards) instead of every line.
	rest := p
	for len(rest) > 0 {
		win := rest[:min(len(rest), maxLine-b.lineLen+1)]
		i := bytes.LastIndexByte(win, '\n')
		if i >= 0 {
			b.lineLen = 0
			rest = rest[i+1:]
			continue
		}
		if len(win) > maxLine-b.lineLen {
			line := b.lineNo + bytes.Count(p[:len(p)-len(rest)], []byte{'\n'}) + 1
			b.exceeded = fmt.Errorf("%w: APKINDEX line %d is longer than the limit of %d bytes", ErrFormat, line, maxLine)
			return 0, b.exceeded
		}
		b.lineLen += len(rest)
		break
	}
	b.lineNo += bytes.Count(p, []byte{'\n'})
	return b.w.Write(p)
}
