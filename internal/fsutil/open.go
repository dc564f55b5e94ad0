package fsutil

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// OpenRegular opens path for reading and refuses anything but a regular
// file. The open itself does not block: a FIFO left where a package, an
// index or a cache entry is expected would otherwise hang the open until
// some writer appears, and a device would be read as endless data. The
// error names the path and what was found there.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return Regular(f, path)
}

// Regular returns f if it is a regular file, else closes it and returns
// OpenRegular's error for name. Open f with O_NONBLOCK.
func Regular(f *os.File, name string) (*os.File, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: is %s, not a regular file: refusing to read it", name, Kind(st.Mode()))
	}
	return f, nil
}

// Kind names the type of a file that is not a regular one, with its
// article, for error messages ("a named pipe (FIFO)").
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}

// NotALink returns an error when dir is a symlink, naming flag, the
// option that takes the dir when the user means it. It guards the default
// dirs pestle writes in or mounts (./packages, ./melange-cache,
// ./pestle-logs), which a folder of recipes could have brought as links
// to anywhere on the host. why says what pestle does there.
func NotALink(dir, flag, why string) error {
	fi, err := os.Lstat(dir)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	target, _ := os.Readlink(dir)
	abs, _ := filepath.Abs(dir)
	return fmt.Errorf("%s is a symlink (to %s), and %s: pestle does not follow a link it was not told of, which a folder of recipes could have brought; to use that dir, say so with %s %s", abs, target, why, flag, abs)
}
