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
	rest := p
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			b.lineLen += len(rest)
			break
		}
		b.lineLen += i
		if b.lineLen > maxLine {
			break
		}
		b.lineNo++
		b.lineLen = 0
		rest = rest[i+1:]
	}
	if b.lineLen > maxLine {
		b.exceeded = fmt.Errorf("%w: APKINDEX line %d is longer than the limit of %d bytes", ErrFormat, b.lineNo+1, maxLine)
		return 0, b.exceeded
	}
	return b.w.Write(p)
}
