//go:build unix

package apk

import (
	"io"
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
	f, err := openRaw(path)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(f.fd), path), nil
}

// rawFile is a file descriptor read with plain read(2) calls: without
// os.File, opening, reading and closing a small file takes three system
// calls. The open does not block, so a FIFO where a package is expected
// reads as empty (a format error) instead of hanging the command.
type rawFile struct{ fd int }

func openRaw(path string) (rawFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == nil {
			return rawFile{fd}, nil
		}
		if err != syscall.EINTR {
			return rawFile{-1}, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

func (f rawFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f rawFile) Close() error { return syscall.Close(f.fd) }
