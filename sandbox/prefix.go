package sandbox

import (
	"bytes"
	"fmt"
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

// maxLine bounds the line a LineWriter holds: a step that writes without
// a newline must not make pestle keep all it wrote. A longer line comes
// out cut into lines of this length.
const maxLine = 1 << 20

// Write buffers p and writes out every line it completes.
func (l *LineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	var out []byte
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
	return append(appendSafe(out, line), '\n')
}

// appendSafe appends line (without its newline) to out, with what could
// drive a terminal made visible. A step's output reaches the user's
// terminal and CI logs, where an escape sequence can move the cursor,
// rewrite or hide lines, set the window title or write the clipboard.
// Colours (SGR: ESC [ digits and ; or : then m) and tabs are kept, a
// carriage return ending the line (CRLF) is dropped, and any other
// control character is written in caret notation (ESC as ^[, CR as ^M;
// a C1 control as \u009b).
func appendSafe(out, line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == 0x1b:
			if n := sgrLen(line[i:]); n > 0 {
				out = append(out, line[i:i+n]...)
				i += n - 1
				continue
			}
			out = append(out, '^', '[')
		case c == '\t' || c >= 0x20 && c < 0x7f:
			out = append(out, c)
		case c < 0x20:
			out = append(out, '^', c+'@')
		case c == 0x7f:
			out = append(out, '^', '?')
		case c == 0xc2 && i+1 < len(line) && line[i+1] >= 0x80 && line[i+1] <= 0x9f:
			out = fmt.Appendf(out, "\\u%04x", line[i+1])
			i++
		default:
			out = append(out, c)
		}
	}
	return out
}

// sgrLen is the length of the SGR sequence (ESC [ [0-9;:]* m) that b
// starts with, or 0.
func sgrLen(b []byte) int {
	if len(b) < 3 || b[1] != '[' {
		return 0
	}
	for i := 2; i < len(b) && i < 64; i++ {
		switch c := b[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9' || c == ';' || c == ':':
		default:
			return 0
		}
	}
	return 0
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
