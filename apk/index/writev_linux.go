package index

import (
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// maxIOV is how many pieces one writev takes (IOV_MAX on Linux).
const maxIOV = 1024

// writeParts writes parts to f in order, up to maxIOV pieces a system
// call and without copying them: an index of 100,000 records is some 700
// compressed segments, which one write each would make 700 calls.
func writeParts(f *os.File, parts [][]byte) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	parts = append([][]byte(nil), parts...) // advanced in place below
	for len(parts) > 0 {
		var n int
		var werr error
		if err := rc.Write(func(fd uintptr) bool {
			n, werr = unix.Writev(int(fd), parts[:min(len(parts), maxIOV)])
			return werr != unix.EAGAIN
		}); err != nil {
			return err
		}
		switch {
		case werr == unix.EINTR:
			continue
		case werr != nil:
			return &fs.PathError{Op: "write", Path: f.Name(), Err: werr}
		case n == 0 && totalLen(parts[:min(len(parts), maxIOV)]) > 0:
			return &fs.PathError{Op: "write", Path: f.Name(), Err: io.ErrShortWrite}
		}
		parts = advance(parts, n)
	}
	return nil
}
