package build

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// copyTree copies the tree at src to dst (which must not exist): regular
// files (through copy_file_range where the kernel offers it), directories,
// symlinks and hard links within the tree, with modes, mtimes and, when
// running as root, ownership. skip, if set, is called with each path
// relative to src and leaves it (and, for a directory, its contents) out.
func copyTree(src, dst string, skip func(rel string, d fs.DirEntry) bool) error {
	asRoot := os.Geteuid() == 0
	links := map[[2]uint64]string{}
	type dirTime struct {
		path string
		info fs.FileInfo
	}
	var dirs []dirTime
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
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirTime{target, info})
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		case d.Type().IsRegular():
			if st != nil && st.Nlink > 1 {
				id := [2]uint64{st.Dev, st.Ino}
				if first, ok := links[id]; ok {
					return os.Link(first, target)
				}
				links[id] = target
			}
			if err := copyFile(p, target, info.Mode()); err != nil {
				return err
			}
		default:
			// Devices, sockets and FIFOs have no place in a build tree.
			return nil
		}
		if asRoot && st != nil {
			if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
				return err
			}
		}
		if !d.IsDir() && d.Type()&fs.ModeSymlink == 0 {
			if err := os.Chmod(target, info.Mode()&fs.ModePerm|info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return err
			}
			return os.Chtimes(target, info.ModTime(), info.ModTime())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	// Directory modes and times last: their contents changed them.
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		mode := d.info.Mode()&fs.ModePerm | d.info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
		if err := os.Chmod(d.path, mode); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, d.info.ModTime(), d.info.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode&fs.ModePerm|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
