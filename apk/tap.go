package apk

import (
	"bufio"
	"bytes"
	"io"
)

// tapBufSize is the input buffer; an input that fits in it is read whole.
const tapBufSize = 64 << 10

// tap sits between the buffered input and the gzip decoder. It counts the
// compressed bytes the decoder consumes and hands them to the current sink
// (the digests of the segment being read). Because the decoder reads it
// as an io.ByteReader, it reads exactly up to the end of each gzip member
// and no further, so the count at a member's end is that member's
// boundary.
//
// After load, an input that fits in the buffer (a small package, the
// common case) is read from memory instead: the decoder gets a
// bytes.Reader over it, which it decodes much faster than any other
// ByteReader, and the bytes consumed since the last sync go to the sink in
// one piece at the next sync.
type tap struct {
	br   *bufio.Reader
	n    int64     // streaming: bytes consumed
	sink io.Writer // nil: bytes are only counted
	pend []byte    // streaming: bytes read with ReadByte, not yet handed to sink

	mem    []byte       // the whole input, when load found it fits; nil: streaming
	memr   bytes.Reader // the decoder's view of mem
	synced int          // mem[:synced] has been handed to the sinks
}

func newTap(r io.Reader) *tap {
	t := new(tap)
	t.reset(r)
	return t
}

// reset makes t stream r from its start, keeping its buffers.
func (t *tap) reset(r io.Reader) {
	if t.br == nil {
		t.br = bufio.NewReaderSize(r, tapBufSize)
		t.pend = make([]byte, 0, 4096)
	} else {
		t.br.Reset(r)
	}
	t.n, t.sink, t.pend = 0, nil, t.pend[:0]
	t.mem, t.synced = nil, 0
	t.memr.Reset(nil)
}

// load fills the buffer and, if the input ends within it, switches to
// reading from memory. A read error other than the end of the input is
// kept for the decoder to meet where it would have met it.
func (t *tap) load() {
	b, err := t.br.Peek(tapBufSize)
	switch err {
	case nil:
	case io.EOF:
		t.mem = b
		t.memr.Reset(b)
	default:
		t.br.Reset(io.MultiReader(bytes.NewReader(bytes.Clone(b)), errReader{err}))
	}
}

// src is what the decoder reads.
func (t *tap) src() io.Reader {
	if t.mem != nil {
		return &t.memr
	}
	return t
}

// count is the number of input bytes consumed so far.
func (t *tap) count() int64 {
	if t.mem != nil {
		return int64(len(t.mem)) - int64(t.memr.Len())
	}
	return t.n
}

// peek returns up to n of the next input bytes without consuming them;
// the error says why there are fewer.
func (t *tap) peek(n int) ([]byte, error) {
	if t.mem != nil {
		rest := t.mem[t.count():]
		if len(rest) < n {
			return rest, io.EOF
		}
		return rest[:n], nil
	}
	return t.br.Peek(n)
}

// rest consumes the remaining input, for error messages, and says how
// many bytes it held.
func (t *tap) rest() int64 {
	if t.mem != nil {
		n := int64(t.memr.Len())
		t.memr.Seek(0, io.SeekEnd)
		return n
	}
	n, _ := io.Copy(io.Discard, t.br)
	return n
}

func (t *tap) Read(p []byte) (int, error) {
	t.flush()
	n, err := t.br.Read(p)
	t.n += int64(n)
	if t.sink != nil && n > 0 {
		t.sink.Write(p[:n])
	}
	return n, err
}

func (t *tap) ReadByte() (byte, error) {
	b, err := t.br.ReadByte()
	if err != nil {
		return b, err
	}
	t.n++
	if t.sink != nil {
		t.pend = append(t.pend, b)
		if len(t.pend) == cap(t.pend) {
			t.flush()
		}
	}
	return b, nil
}

// drain hands the rest of the input to the sink, straight from the
// input buffer, and counts it.
func (t *tap) drain() error {
	t.sync()
	if t.mem != nil {
		if t.sink != nil {
			t.sink.Write(t.mem[t.synced:])
		}
		t.synced = len(t.mem)
		t.memr.Seek(0, io.SeekEnd)
		return nil
	}
	for {
		if t.br.Buffered() == 0 {
			if _, err := t.br.Peek(1); err == io.EOF {
				return nil
			} else if err != nil {
				return err
			}
		}
		b, _ := t.br.Peek(t.br.Buffered())
		if t.sink != nil {
			t.sink.Write(b)
		}
		t.n += int64(len(b))
		t.br.Discard(len(b))
	}
}

func (t *tap) flush() {
	if len(t.pend) > 0 {
		t.sink.Write(t.pend)
		t.pend = t.pend[:0]
	}
}

// sync hands every byte consumed so far to the sink: call it before
// reading a digest the sink feeds.
func (t *tap) sync() {
	if t.mem == nil {
		t.flush()
		return
	}
	end := int(t.count())
	if t.sink != nil && end > t.synced {
		t.sink.Write(t.mem[t.synced:end])
	}
	t.synced = end
}

// setSink hands every byte consumed so far to the old sink and sends the
// following ones to w.
func (t *tap) setSink(w io.Writer) {
	t.sync()
	t.sink = w
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n int64
}

func (c *counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// zeroCheck is a writer that remembers whether it saw a non-zero byte.
type zeroCheck struct {
	n       int64
	nonZero bool
}

func (z *zeroCheck) Write(p []byte) (int, error) {
	z.n += int64(len(p))
	if !z.nonZero {
		for _, b := range p {
			if b != 0 {
				z.nonZero = true
				break
			}
		}
	}
	return len(p), nil
}
