package build

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
)

// copyTree copies the tree at src to dst (which must not exist): regular
// files (through copy_file_range where the kernel offers it, several at a
// time), directories, symlinks and hard links within the tree, with modes,
// mtimes and, when running as root, ownership. skip, if set, is called
// with each path relative to src and leaves it (and, for a directory, its
// contents) out.
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	c := &copier{asRoot: os.Geteuid() == 0, links: map[[2]uint64]string{}}
	c.start(runtime.GOMAXPROCS(0))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel != "." && skip != nil && skip(rel, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return c.entry(p, filepath.Join(dst, rel), d)
	})
	if werr := c.wait(); err == nil {
		err = werr
	}
	if err == nil {
		err = c.finish()
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}

// copier holds the state of one copyTree.
type copier struct {
	asRoot bool
	links  map[[2]uint64]string // first copy of each multiply-linked inode
	later  [][2]string          // hard links to make once every file exists
	dirs   []dirMeta            // directory modes and times, set last
	jobs   chan fileJob
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

type dirMeta struct {
	path string
	info fs.FileInfo
}

type fileJob struct {
	src, dst string
	info     fs.FileInfo
}

func (c *copier) start(n int) {
	c.jobs = make(chan fileJob, 64)
	for range max(n, 1) {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			for j := range c.jobs {
				if err := c.copyFile(j); err != nil {
					c.fail(err)
				}
			}
		}()
	}
}

func (c *copier) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

func (c *copier) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// wait ends the workers and returns the first error one hit.
func (c *copier) wait() error {
	close(c.jobs)
	c.wg.Wait()
	return c.failed()
}

// entry copies one walked entry: directories and symlinks at once, regular
// files through the workers.
func (c *copier) entry(src, dst string, d fs.DirEntry) error {
	if err := c.failed(); err != nil {
		return err
	}
	info, err := d.Info()
	if err != nil {
		return err
	}
	st, _ := info.Sys().(*syscall.Stat_t)
	switch {
	case d.IsDir():
		if err := os.Mkdir(dst, 0o700); err != nil {
			return err
		}
		c.dirs = append(c.dirs, dirMeta{dst, info})
		return c.chown(dst, st)
	case d.Type()&fs.ModeSymlink != 0:
		link, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(link, dst); err != nil {
			return err
		}
		return c.chown(dst, st)
	case d.Type().IsRegular():
		if st != nil && st.Nlink > 1 {
			id := [2]uint64{st.Dev, st.Ino}
			if first, ok := c.links[id]; ok {
				c.later = append(c.later, [2]string{first, dst})
				return nil
			}
			c.links[id] = dst
		}
		c.jobs <- fileJob{src, dst, info}
	}
	// Devices, sockets and FIFOs have no place in a build tree.
	return nil
}

func (c *copier) chown(path string, st *syscall.Stat_t) error {
	if !c.asRoot || st == nil {
		return nil
	}
	return os.Lchown(path, int(st.Uid), int(st.Gid))
}

func (c *copier) copyFile(j fileJob) error {
	in, err := os.Open(j.src)
	if err != nil {
		return err
	}
	defer in.Close()
	mode := j.info.Mode()
	out, err := os.OpenFile(j.dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := c.chown(j.dst, j.info.Sys().(*syscall.Stat_t)); err != nil {
		return err
	}
	// After chown, which clears setuid and setgid bits.
	if err := os.Chmod(j.dst, mode.Perm()|mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return os.Chtimes(j.dst, j.info.ModTime(), j.info.ModTime())
}

// finish makes the hard links, then sets directory modes and times, deepest
// first, since adding their contents changed them.
func (c *copier) finish() error {
	for _, l := range c.later {
		if err := os.Link(l[0], l[1]); err != nil {
			return err
		}
	}
	for i := len(c.dirs) - 1; i >= 0; i-- {
		d := c.dirs[i]
		mode := d.info.Mode()
		if err := os.Chmod(d.path, mode.Perm()|mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, d.info.ModTime(), d.info.ModTime()); err != nil {
			return err
		}
	}
	return nil
}
