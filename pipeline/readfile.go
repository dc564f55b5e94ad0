package pipeline

import (
	"fmt"
	"io/fs"
	"syscall"
)

// maxYAMLFile bounds the size of a recipe, pipeline definition or vars
// file: the largest real recipes are a few hundred KiB.
const maxYAMLFile = 16 << 20

// readYAMLFile reads the YAML file at path, refusing one over maxYAMLFile.
// Its errors read as os.ReadFile's. It reads with plain system calls:
// os.Open registers every file with Go's network poller, which an
// otherwise idle `pestle compile` then sets up (an epoll instance, an
// eventfd and a thread polling them) for nothing.
func readYAMLFile(path string) ([]byte, error) {
	return readYAML(path, false)
}

// readRegularYAMLFile is readYAMLFile for a file that must be a regular
// one: a pipeline definition, found by name in a folder that came with
// the recipes. A FIFO there would block the compile (a recipe or vars
// file may be one: pestle compile <(…)).
func readRegularYAMLFile(path string) ([]byte, error) {
	return readYAML(path, true)
}

func readYAML(path string, regularOnly bool) ([]byte, error) {
	flags := syscall.O_RDONLY | syscall.O_CLOEXEC
	if regularOnly {
		flags |= syscall.O_NONBLOCK // the open of a FIFO does not wait
	}
	fd, err := sysOpen(path, flags)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := sysFstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if regularOnly && st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, fmt.Errorf("%s: not a regular file: refusing to read it", path)
	}
	if st.Size > maxYAMLFile {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d MiB a YAML file may have", path, st.Size, maxYAMLFile>>20)
	}
	// One byte more than the size says, to see the end in one read; a
	// file that grows meanwhile is read up to the bound.
	data := make([]byte, 0, st.Size+1)
	for {
		if len(data) == cap(data) {
			if len(data) > maxYAMLFile {
				return nil, fmt.Errorf("%s: more than the %d MiB a YAML file may have", path, maxYAMLFile>>20)
			}
			data = append(data, 0)[:len(data)]
		}
		n, err := sysRead(fd, data[len(data):cap(data)])
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return data, nil
		}
		data = data[:len(data)+n]
	}
}

// sysOpen, sysFstat and sysRead retry on EINTR, as the os package does.
func sysOpen(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func sysFstat(fd int, st *syscall.Stat_t) error {
	for {
		if err := syscall.Fstat(fd, st); err != syscall.EINTR {
			return err
		}
	}
}

func sysRead(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if err != syscall.EINTR {
			return max(n, 0), err
		}
	}
}
