package apk

import (
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"
)

// pgzipBlock is the block size of the data member's parallel gzip, as in
// melange.
const pgzipBlock = 1 << 20

// pgzipBlocks is how many blocks are compressed at once: every core, up
// to 8. The output does not depend on it.
func pgzipBlocks() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

// dataGzip compresses the data member. A stream shorter than one block
// (most packages) is compressed by one pooled gzip writer, flushed before
// it is closed: the same bytes pgzip makes of it, without setting up its
// blocks and goroutines. A longer one goes through pgzip from its first
// byte.
type dataGzip struct {
	out io.Writer
	buf *[]byte // pending bytes while the stream is under a block
	pz  *pgzip.Writer
}

var (
	smallBufs  = sync.Pool{New: func() any { b := make([]byte, 0, pgzipBlock); return &b }}
	smallGzips = sync.Pool{New: func() any {
		w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		return w
	}}
)

func newDataGzip(out io.Writer) *dataGzip {
	b := smallBufs.Get().(*[]byte)
	*b = (*b)[:0]
	return &dataGzip{out: out, buf: b}
}

func (d *dataGzip) Write(p []byte) (int, error) {
	if d.pz != nil {
		return d.pz.Write(p)
	}
	if len(*d.buf)+len(p) < pgzipBlock {
		*d.buf = append(*d.buf, p...)
		return len(p), nil
	}
	pz, err := pgzip.NewWriterLevel(d.out, pgzip.DefaultCompression)
	if err != nil {
		return 0, err
	}
	pz.ModTime = time.Unix(0, 0)
	if err := pz.SetConcurrency(pgzipBlock, pgzipBlocks()); err != nil {
		return 0, err
	}
	d.pz = pz
	_, err = pz.Write(*d.buf)
	d.release()
	if err != nil {
		return 0, err
	}
	return pz.Write(p)
}

// release gives the pending buffer back; its bytes must not be used
// after the next newDataGzip.
func (d *dataGzip) release() {
	if d.buf != nil {
		smallBufs.Put(d.buf)
		d.buf = nil
	}
}

// Close ends the member.
func (d *dataGzip) Close() error {
	if d.pz != nil {
		return d.pz.Close()
	}
	defer d.release()
	zw := smallGzips.Get().(*gzip.Writer)
	defer smallGzips.Put(zw)
	zw.Reset(d.out)
	zw.ModTime = time.Unix(0, 0)
	if _, err := zw.Write(*d.buf); err != nil {
		return err
	}
	if err := zw.Flush(); err != nil { // pgzip's closing sync block
		return err
	}
	return zw.Close()
}

// warmSize is how much WarmUp compresses: enough pseudo-random bytes to
// touch every page of the compressor's hash tables.
const warmSize = 96 << 10

// WarmUp readies the pooled compressor that the next Write uses for its
// members: allocated, and its tables touched once, so that the page
// faults of a new compressor (hundreds on a small package) are taken
// here. A build calls it beside work that leaves a core idle, such as
// running its steps; the bytes Write makes do not depend on it.
func WarmUp() {
	zw := smallGzips.Get().(*gzip.Writer)
	defer smallGzips.Put(zw)
	zw.Reset(io.Discard)
	_, _ = zw.Write(WarmUpData())
	_ = zw.Close()
}

// WarmUpData returns warmSize bytes that deflate cannot shrink (an
// xorshift sequence, the same on every call): compressing them once
// touches every page of a compressor's hash tables.
func WarmUpData() []byte {
	buf := make([]byte, warmSize)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range buf {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		buf[i] = byte(x)
	}
	return buf
}
