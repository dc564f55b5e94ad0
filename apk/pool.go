package apk

import (
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// copyBufSize is the largest buffer a read copies file contents through.
const copyBufSize = 256 << 10

// readState is what one Read needs whatever the package: the input
// buffer, the gzip decoder with its 32 KiB window, and the buffer file
// contents are copied through. Reading a small package allocates little
// else, so Read takes a readState from a pool and gives it back when done.
type readState struct {
	t   tap
	zr  *gzip.Reader // Reset at the start of each member
	buf []byte       // grown on demand up to copyBufSize
}

var readStates = sync.Pool{New: func() any { return &readState{zr: new(gzip.Reader)} }}

func getReadState(r io.Reader) *readState {
	st := readStates.Get().(*readState)
	st.t.reset(r)
	return st
}

// put forgets the input and returns st to the pool. The gzip decoder only
// refers to st's own tap, so nothing of the caller stays reachable.
func (st *readState) put() {
	st.t.reset(nil)
	readStates.Put(st)
}

// copyBuf returns a buffer of at least min(size, copyBufSize) bytes (and
// at least 4 KiB), for copying a file of the given size.
func (st *readState) copyBuf(size int64) []byte {
	want := int(min(max(size, 4<<10), copyBufSize))
	if len(st.buf) < want {
		st.buf = make([]byte, max(want, min(2*len(st.buf), copyBufSize)))
	}
	return st.buf
}
