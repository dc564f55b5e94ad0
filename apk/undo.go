package apk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
)

// Undo records what an extraction changed under its root, so that the
// package can be taken back whole: what it created is removed, what it
// replaced is put back. Pass one in ReadOptions.Undo; after Read, call
// Commit to keep the package or Rollback to take it back. Without one, Read
// commits a package it read whole and rolls back one it refused.
type Undo struct {
	root    string
	changes []change
	seq     int
}

// change is one path the extraction touched: backup is where what was
// there before waits (empty: nothing was there); dir marks a directory
// the extraction created.
type change struct {
	name, backup string
	dir          bool
}

// Commit keeps the extraction: the replaced files are deleted.
func (u *Undo) Commit() error {
	if u == nil || len(u.changes) == 0 {
		return nil
	}
	r, err := os.OpenRoot(u.root)
	if err != nil {
		return err
	}
	defer r.Close()
	var first error
	for _, c := range u.changes {
		if c.backup != "" {
			if err := r.Remove(c.backup); err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
				first = err
			}
		}
	}
	u.changes = nil
	return first
}

// Rollback takes the extraction back, newest change first.
func (u *Undo) Rollback() error {
	if u == nil || len(u.changes) == 0 {
		return nil
	}
	r, err := os.OpenRoot(u.root)
	if err != nil {
		return err
	}
	defer r.Close()
	var first error
	keep := func(err error) {
		if err != nil && !errors.Is(err, fs.ErrNotExist) && first == nil {
			first = err
		}
	}
	for i := len(u.changes) - 1; i >= 0; i-- {
		c := u.changes[i]
		if c.dir {
			keep(r.Remove(c.name))
			continue
		}
		keep(r.Remove(c.name))
		if c.backup != "" {
			keep(r.Rename(c.backup, c.name))
		}
	}
	u.changes = nil
	if first != nil {
		return fmt.Errorf("taking back the files of a refused package: %w", first)
	}
	return nil
}

// created records a directory the extraction made.
func (u *Undo) created(name string) {
	u.changes = append(u.changes, change{name: name, dir: true})
}

// replace moves whatever non-directory sits at name out of the way (kept
// for Rollback) and records that name is the extraction's now.
func (u *Undo) replace(r *os.Root, name string) error {
	d, err := r.OpenRoot(path.Dir(name))
	if err != nil {
		return err
	}
	defer d.Close()
	return u.replaceIn(d, path.Dir(name), path.Base(name))
}

// replaceIn is replace for the entry base of the directory d, which is
// dir in the root.
func (u *Undo) replaceIn(d *os.Root, dir, base string) error {
	name := path.Join(dir, base)
	st, err := d.Lstat(base)
	if errors.Is(err, fs.ErrNotExist) {
		u.changes = append(u.changes, change{name: name})
		return nil
	}
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fmt.Errorf("a directory is in the way")
	}
	for {
		u.seq++
		backup := fmt.Sprintf(".pestle-old.%d", u.seq)
		if _, err := d.Lstat(backup); err == nil {
			continue
		}
		if err := d.Rename(base, backup); err != nil {
			return err
		}
		u.changes = append(u.changes, change{name: name, backup: path.Join(dir, backup)})
		return nil
	}
}
