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
	fd, err := sysOpen(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := sysFstat(fd, &st); err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: err}
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
func sysOpen(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
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
