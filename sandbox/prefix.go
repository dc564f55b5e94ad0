package sandbox

import (
	"bytes"
	"io"
	"sync"
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

// Write buffers p and writes out every line it completes.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	var out []byte
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			break
		}
		out = append(out, l.prefix...)
		out = append(out, l.buf...)
		out = append(out, p[:i+1]...)
		l.buf = l.buf[:0]
		p = p[i+1:]
	}
	l.buf = append(l.buf, p...)
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
	out := make([]byte, 0, len(l.prefix)+len(l.buf)+1)
	out = append(append(append(out, l.prefix...), l.buf...), '\n')
	l.buf = l.buf[:0]
	return l.emit(out)
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
