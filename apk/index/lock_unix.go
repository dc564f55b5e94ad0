//go:build unix

package index

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Lock takes an exclusive advisory lock (flock) on <dir>/.pestle.lock,
// creating the directory and the file if needed, and waits until it is
// free. Every open of the file is locked independently, so the lock
// serialises goroutines of one process as well as separate processes. The
// lock does not nest: Update takes it itself, so do not hold it around a
// call to Update. Once it holds the lock, it finishes what a crashed
// holder left (see Publish).
func Lock(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("repository directory: %w", err)
	}
	path := filepath.Join(dir, LockName)
	// Not through a symlink, which a copied repository may bring: opened
	// with O_CREATE, it would make an empty file wherever it points
	// (/etc/nologin, say).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s: not a regular file: remove it", path)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// What a crashed holder left: finish its journaled publication, remove
	// its temporary files (see Publish).
	if err := recoverDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return &DirLock{release: func() error {
		// Closing the descriptor releases the flock.
		return f.Close()
	}}, nil
}
