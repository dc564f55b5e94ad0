package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// RemoveTree removes dir and everything below it, like os.RemoveAll, with
// two differences: directories left read-only (as a build step or a
// package may leave them; Go's module cache is one) are made writable so
// their entries can go, and subtrees are removed on several goroutines,
// because unlinking tens of thousands of files is most of the cost of
// cleaning up after a big build. Symbolic links are removed, never
// followed. A missing dir is not an error.
func RemoveTree(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return removeWritable(dir)
	}
	var subtrees []string
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			subtrees = append(subtrees, p)
			continue
		}
		// One level further, so one big directory still splits.
		sub, err := os.ReadDir(p)
		if err != nil {
			subtrees = append(subtrees, p)
			continue
		}
		for _, s := range sub {
			subtrees = append(subtrees, filepath.Join(p, s.Name()))
		}
	}
	work := make(chan string)
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				removeWritable(p)
			}
		}()
	}
	for _, p := range subtrees {
		work <- p
	}
	close(work)
	wg.Wait()
	return removeWritable(dir)
}

// removeWritable is os.RemoveAll that, when a plain removal fails, makes
// the directories below p writable and tries again.
func removeWritable(p string) error {
	if os.RemoveAll(p) == nil {
		return nil
	}
	_ = filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(q, 0o700)
		}
		return nil
	})
	return os.RemoveAll(p)
}
