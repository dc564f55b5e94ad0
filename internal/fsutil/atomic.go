package fsutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// tempMark separates a file's final name from the writer's process id
// and a random part in a temporary name: .NAME.tmp-PID-RANDOM.
const tempMark = ".tmp-"

// File is a new file being written under a temporary name in the
// directory of its final path. Nothing appears at the final path until
// Commit; Abort, or a crash, leaves at most the temporary file, whose
// name (.NAME.tmp-PID-RANDOM) carries the writer's process id so that
// RemoveStale can tell it from the file of a live writer.
type File struct {
	*os.File
	path string
	done bool
}

// Create opens a new, empty temporary file (mode 0600) for path in path's
// directory, which must exist.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+tempMark+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Path is the final path the file is published at.
func (f *File) Path() string { return f.path }

// Commit publishes the file: it sets perm, syncs the data to disk,
// closes the file, renames it to its final path (replacing what was
// there) and syncs the directory, so that a crash at any moment leaves
// either the old file or the whole new one. On error the temporary file
// is removed; the error wraps the failing step's.
func (f *File) Commit(perm fs.FileMode) error {
	if f.done {
		return errors.New("fsutil: Commit after Commit or Abort")
	}
	err := f.Chmod(perm)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), f.path)
	}
	f.done = true
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return SyncDir(filepath.Dir(f.path))
}

// Abort closes and removes the temporary file. It does nothing after
// Commit, so it can be deferred right after Create.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile publishes data at path with mode perm, atomically (see
// File.Commit). path's directory must exist.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write publishes at path, atomically and with mode perm, what write
// writes to a buffered writer. An error from write is returned as it is
// and leaves nothing behind. path's directory must exist.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Commit(perm)
}

// SyncDir flushes dir's entries (a rename into it) to disk.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
