//go:build unix

package apk

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
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

// dirOpener opens files through a descriptor of their directory, kept
// from one file to the next: for a file named by a path of several
// components, the kernel then looks up one name instead of walking the
// whole path each time. The zero dirOpener is ready; close releases it.
type dirOpener struct {
	dir  string
	fd   int
	open bool
}

// openRaw opens path as openRaw does, resolving its directory part only
// when it differs from the previous file's.
func (d *dirOpener) openRaw(path string) (rawFile, error) {
	dir, name := filepath.Split(path)
	if dir == "" || name == "" {
		return openRaw(path)
	}
	if !d.open || dir != d.dir {
		d.close()
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return openRaw(path) // the whole path is tried, and its error reported
		}
		d.dir, d.fd, d.open = dir, fd, true
	}
	for {
		fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err == nil {
			return rawFile{fd}, nil
		}
		if err != unix.EINTR {
			return rawFile{-1}, &fs.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

func (d *dirOpener) close() {
	if d.open {
		syscall.Close(d.fd)
		d.open = false
	}
}
