//go:build unix

package index

import (
	"fmt"
	"syscall"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// mapFile maps the index file at path read-only instead of reading it:
// a merge copies most of it as it is, so the bytes need not pass through
// a buffer of the file's size that would first be zeroed and faulted in.
// release unmaps it; the bytes must not be used after. A file that
// shrinks while mapped faults on access: callers run with
// debug.SetPanicOnFault and recover (see guardFault).
func mapFile(path string) (data []byte, release func(), err error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() > maxArchive || st.Size() == 0 {
		// Empty or too large: the read path says why.
		data, err := readFile(path)
		return data, func() {}, err
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, func() { syscall.Munmap(data) }, nil
}
