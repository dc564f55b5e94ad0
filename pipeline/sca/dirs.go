package sca

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// Directories, relative to the tree root, that give a file a meaning.
var (
	// stdLibDirs hold the libraries a package provides (exact parent dir).
	stdLibDirs = []string{"lib", "usr/lib", "lib64", "usr/lib64"}
	// cmdDirs hold the commands a package provides (exact parent dir).
	cmdDirs = []string{"bin", "sbin", "usr/bin", "usr/sbin"}
	// shebangDirs hold the scripts whose interpreter is a dependency
	// (any depth below them).
	shebangDirs = []string{"usr/bin", "usr/local/bin", "usr/local/sbin"}
	// pcDirs hold the pkg-config files a package provides (exact dir).
	pcDirs = []string{"usr/lib/pkgconfig", "usr/lib64/pkgconfig", "usr/share/pkgconfig",
		"usr/local/lib/pkgconfig", "usr/local/share/pkgconfig"}
)

// ldSoConfD is where a package adds directories to the linker's path.
const ldSoConfD = "etc/ld.so.conf.d"

// maxConfSize bounds how much of one ld.so.conf.d file is read.
const maxConfSize = 1 << 20

// inDir reports whether p's parent directory is one of dirs.
func inDir(p string, dirs []string) bool {
	return slices.Contains(dirs, path.Dir(p))
}

// underAny reports whether p lies somewhere below one of dirs.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// loadLibDirs sets the library dirs: the standard ones, then the absolute
// directories named in etc/ld.so.conf.d/*.conf of this tree and of the
// sibling trees.
func (s *scan) loadLibDirs() error {
	extra := slices.Clone(s.family.extra)
	if s.self < 0 {
		own, err := ldConfDirs(s.root)
		if err != nil {
			return err
		}
		extra = append(extra, own...)
		slices.Sort(extra)
		extra = slices.Compact(extra)
	}
	s.libDirs = append(slices.Clone(stdLibDirs), extra...)
	s.isLib = map[string]bool{}
	for _, d := range s.libDirs {
		s.isLib[d] = true
	}
	return nil
}

// ldConfDirs reads the directories listed in the *.conf files below
// etc/ld.so.conf.d of one tree, as tree-relative paths.
func ldConfDirs(r *os.Root) ([]string, error) {
	var dirs []string
	err := fs.WalkDir(r.FS(), ldSoConfD, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == ldSoConfD {
				return fs.SkipAll
			}
			return fmt.Errorf("sca: %s: %s: %w", r.Name(), p, err)
		}
		if !d.Type().IsRegular() || !strings.HasSuffix(p, ".conf") {
			return nil
		}
		f, err := r.Open(p)
		if err != nil {
			return fmt.Errorf("sca: %s: %w", r.Name(), err)
		}
		defer f.Close()
		sc := bufio.NewScanner(io.LimitReader(f, maxConfSize))
		sc.Buffer(make([]byte, 0, 4096), maxConfSize)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "/") {
				continue // comments, include lines, relative names
			}
			if dir := strings.TrimPrefix(path.Clean(line), "/"); dir != "" {
				dirs = append(dirs, dir)
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("sca: %s: %s: %w", r.Name(), p, err)
		}
		return nil
	})
	return dirs, err
}
