package apk

import (
	"bufio"
	"io"
)

// tap sits between the buffered input and the gzip decoder. It counts the
// compressed bytes the decoder consumes and hands them to the current sink
// (the digests of the segment being read). Because it is an io.ByteReader,
// the decoder reads exactly up to the end of each gzip member and no
// further, so the count at a member's end is that member's boundary.
type tap struct {
	br   *bufio.Reader
	n    int64
	sink io.Writer // nil: bytes are only counted
	pend []byte    // bytes read with ReadByte, not yet handed to sink
}

func newTap(r io.Reader) *tap {
	return &tap{br: bufio.NewReaderSize(r, 64<<10), pend: make([]byte, 0, 4096)}
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

func (t *tap) flush() {
	if len(t.pend) > 0 {
		t.sink.Write(t.pend)
		t.pend = t.pend[:0]
	}
}

// setSink hands every byte consumed so far to the old sink and sends the
// following ones to w.
func (t *tap) setSink(w io.Writer) {
	t.flush()
	t.sink = w
}

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
