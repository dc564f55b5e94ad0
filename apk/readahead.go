package apk

import (
	"io"
	"sync"
)

// readAheadBlock and readAheadBlocks bound what a readAhead holds: 1 MiB.
const (
	readAheadBlock  = 256 << 10
	readAheadBlocks = 4
)

// readAhead inflates on its own goroutine while the caller extracts what
// was inflated before, so that a large data segment is decompressed on one
// core while the other writes files. The source (the gzip decoder and the
// digests fed from its input) is only touched by that goroutine until
// stop returns.
type readAhead struct {
	full chan raBlock
	free chan []byte
	done chan struct{}
	wg   sync.WaitGroup

	cur  raBlock // being consumed by Read
	off  int
	err  error
	once sync.Once
}

type raBlock struct {
	buf []byte // full capacity, returned to free
	n   int
	err error
}

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan raBlock, readAheadBlocks),
		free: make(chan []byte, readAheadBlocks),
		done: make(chan struct{}),
	}
	for range readAheadBlocks {
		ra.free <- make([]byte, readAheadBlock)
	}
	ra.wg.Add(1)
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer ra.wg.Done()
	defer close(ra.full)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := io.ReadFull(r, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case ra.full <- raBlock{buf: buf, n: n, err: err}:
		case <-ra.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.off == ra.cur.n {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.cur.buf != nil {
			ra.free <- ra.cur.buf
			ra.cur.buf = nil
		}
		blk, ok := <-ra.full
		if !ok {
			ra.err = io.ErrUnexpectedEOF // stopped: never reached by a caller
			return 0, ra.err
		}
		ra.cur, ra.off = blk, 0
		if blk.err != nil {
			ra.err = blk.err
		}
	}
	n := copy(p, ra.cur.buf[ra.off:ra.cur.n])
	ra.off += n
	return n, nil
}

// stop ends the goroutine and waits for it: after stop the source is the
// caller's again.
func (ra *readAhead) stop() {
	ra.once.Do(func() { close(ra.done) })
	ra.wg.Wait()
}
