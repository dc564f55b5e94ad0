package sca

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Family is what the output trees of one build offer each other: the
// library dirs their etc/ld.so.conf.d files add, and which trees hold a
// regular file under each name in a library dir. NewFamily reads every
// tree once, with one directory open at a time; an Analyze given the
// Family then costs its own tree only, so scanning N subpackages is
// O(total files) rather than O(N²), and the number of open descriptors
// does not grow with N.
type Family struct {
	trees   []string
	byPath  map[string]int   // absolute tree path -> index
	extra   []string         // library dirs from the trees' ld.so.conf.d, sorted, unique
	holders map[string][]int // "dir/base" in a library dir -> trees holding a regular file there, in order
}

// NewFamily reads the trees (the output trees of a build, in recipe
// order). A tree that does not exist is an empty one.
func NewFamily(trees []string) (*Family, error) {
	f := &Family{trees: slices.Clone(trees), byPath: map[string]int{}, holders: map[string][]int{}}
	for i, t := range trees {
		if abs, err := filepath.Abs(t); err == nil {
			if _, dup := f.byPath[abs]; !dup {
				f.byPath[abs] = i
			}
		}
	}
	var extra []string
	for _, t := range trees {
		dirs, err := withRoot(t, ldConfDirs)
		if err != nil {
			return nil, err
		}
		extra = append(extra, dirs...)
	}
	slices.Sort(extra)
	f.extra = slices.Compact(extra)
	for i, t := range trees {
		if _, err := withRoot(t, func(r *os.Root) ([]string, error) { f.index(i, r); return nil, nil }); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// withRoot opens tree, runs fn on it and closes it; a missing tree gives
// nothing.
func withRoot(tree string, fn func(*os.Root) ([]string, error)) ([]string, error) {
	r, err := os.OpenRoot(tree)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return fn(r)
}

// libDirs are the library dirs in lookup order: the standard ones, then
// the ones the family's ld.so.conf.d files add.
func (f *Family) libDirs() []string {
	return append(slices.Clone(stdLibDirs), f.extra...)
}

// index records the regular files (or symlinks to regular files within
// the tree) directly in the library dirs of tree i.
func (f *Family) index(i int, r *os.Root) {
	for _, dir := range f.libDirs() {
		ents, err := fs.ReadDir(r.FS(), dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := dir + "/" + e.Name()
			if e.Type()&fs.ModeSymlink != 0 {
				if info, err := r.Stat(name); err != nil || !info.Mode().IsRegular() {
					continue
				}
			} else if !e.Type().IsRegular() {
				continue
			}
			if h := f.holders[name]; len(h) == 0 || h[len(h)-1] != i {
				f.holders[name] = append(h, i)
			}
		}
	}
}

// find returns the first tree other than self (in family order), and in
// it the first library dir (in lookup order), holding base: the tree's
// path and the tree-relative name. ok is false when none does.
func (f *Family) find(self int, base string, libDirs []string) (tree, name string, ok bool) {
	best, bestDir := -1, -1
	for di, dir := range libDirs {
		for _, ti := range f.holders[dir+"/"+base] {
			if ti == self {
				continue
			}
			if best < 0 || ti < best || ti == best && di < bestDir {
				best, bestDir = ti, di
			}
			break
		}
	}
	if best < 0 {
		return "", "", false
	}
	return f.trees[best], libDirs[bestDir] + "/" + base, true
}

// member returns the index of tree in the family, -1 if it is not one.
func (f *Family) member(tree string) int {
	abs, err := filepath.Abs(tree)
	if err != nil {
		return -1
	}
	if i, ok := f.byPath[abs]; ok {
		return i
	}
	return -1
}
