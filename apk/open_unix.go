//go:build unix

package apk

import (
	"io/fs"
	"os"
	"syscall"
)

// openRead opens path for reading as os.Open does, minus os.Open's attempt
// to add the file to the network poller: for a regular file on Linux that
// attempt fails and costs five extra system calls (fcntl four times and
// epoll_ctl), which is a large part of reading a small package. Such a
// file is read with plain blocking reads either way.
func openRead(path string) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == nil {
			return os.NewFile(uintptr(fd), path), nil
		}
		if err != syscall.EINTR {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}
