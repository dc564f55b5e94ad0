package sandbox

import (
	"bytes"
	"io"
	"sync"

	"github.com/pestle-dev/pestle/internal/termsafe"
)

// outMu serialises the line writes of every LineWriter, so several of them
// (a step's stdout and stderr, parallel builds) can share one destination,
// even one that is not safe for concurrent use, without mixing lines.
var outMu sync.Mutex

// LineWriter writes whole lines, each starting with a prefix, to another
// writer. It is safe for concurrent use, and LineWriters sharing one
// destination never mix their lines. A partial last line waits for its
// newline, for Flush, or for the end of the step it was given to. (Two
// producers writing pieces of lines into the same LineWriter do mix them:
// give each stream its own.)
type LineWriter struct {
	w      io.Writer
	prefix []byte

	mu  sync.Mutex
	buf []byte // the pending partial line
}

// PrefixWriter returns a LineWriter that writes each line of its input to
// w with prefix in front.
func PrefixWriter(w io.Writer, prefix string) *LineWriter {
	return &LineWriter{w: w, prefix: []byte(prefix)}
}

// maxLine bounds the line a LineWriter holds: a step that writes without
// a newline must not make pestle keep all it wrote. A longer line comes
// out cut into lines of this length.
const maxLine = 1 << 20

// Write buffers p and writes out every line it completes.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	// Room for the lines as they are, prefixes included: escapes are rare.
	out := make([]byte, 0, len(l.buf)+len(p)+(bytes.Count(p, []byte{'\n'})+1)*(len(l.prefix)+1))
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 || len(l.buf)+i > maxLine {
			take := min(len(p), maxLine-len(l.buf))
			l.buf = append(l.buf, p[:take]...)
			p = p[take:]
			if len(l.buf) < maxLine {
				break
			}
			out = l.appendLine(out, l.buf)
			l.buf = l.buf[:0]
			continue
		}
		if len(l.buf) > 0 {
			l.buf = append(l.buf, p[:i]...)
			out = l.appendLine(out, l.buf)
			l.buf = l.buf[:0]
		} else {
			out = l.appendLine(out, p[:i])
		}
		p = p[i+1:]
	}
	if len(out) == 0 {
		return n, nil
	}
	if err := l.emit(out); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes a pending partial line, ending it with a newline.
func (l *LineWriter) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) == 0 {
		return nil
	}
	out := l.appendLine(nil, l.buf)
	l.buf = l.buf[:0]
	return l.emit(out)
}

// appendLine appends the prefix, line made safe and a newline to out.
func (l *LineWriter) appendLine(out, line []byte) []byte {
	out = append(out, l.prefix...)
	return append(termsafe.AppendLine(out, line), '\n')
}

func (l *LineWriter) emit(out []byte) error {
	outMu.Lock()
	defer outMu.Unlock()
	_, err := l.w.Write(out)
	return err
}

// flushLines ends a step's last partial line when w is a LineWriter.
func flushLines(w io.Writer) {
	if l, ok := w.(*LineWriter); ok {
		_ = l.Flush()
	}
}

// unwrapLines returns the writer under a LineWriter, so an interactive
// shell talks to the terminal directly.
func unwrapLines(w io.Writer) io.Writer {
	if l, ok := w.(*LineWriter); ok {
		_ = l.Flush()
		return l.w
	}
	return w
}
