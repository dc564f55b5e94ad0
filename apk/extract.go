package apk

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"strings"
	"time"
)

// extractor writes data entries under a root directory through os.Root, so
// that no name, ".." or symlink can lead a write outside the root.
type extractor struct {
	root   *os.Root
	asRoot bool // ownership is applied only when running as root
	log    *slog.Logger
	dirs   []Entry // directory modes and mtimes, applied at the end
	seq    int
	undo   *Undo // what this extraction changed
	// known holds the directories seen to exist (and made by) this
	// extraction: one lookup instead of a walk through os.Root per file.
	// None is ever replaced: clear leaves directories alone.
	known map[string]bool
	// sub is the directory regular files were last written to, opened
	// once through root: files of one directory come together in a
	// package, and each then costs a lookup of its base name only.
	sub     *os.Root
	subName string
}

func newExtractor(dir string, log *slog.Logger) (*extractor, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("extraction root: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &extractor{root: root, asRoot: os.Geteuid() == 0, log: log, undo: &Undo{root: dir}, known: map[string]bool{}}, nil
}

func (x *extractor) close() {
	if x.sub != nil {
		x.sub.Close()
	}
	x.root.Close()
}

// dirOf returns the root a file of dir is written through, opening it
// through x.root when it is not the cached one.
func (x *extractor) dirOf(dir string) (*os.Root, error) {
	if dir == "." {
		return x.root, nil
	}
	if x.sub != nil && x.subName == dir {
		return x.sub, nil
	}
	r, err := x.root.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if x.sub != nil {
		x.sub.Close()
	}
	x.sub, x.subName = r, dir
	return r, nil
}

// isEscape tells whether err is os.Root refusing a path that leaves it.
func isEscape(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// fileMode turns tar mode bits into an os.FileMode, keeping setuid,
// setgid and sticky.
func fileMode(m int64) os.FileMode {
	mode := os.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		mode |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		mode |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		mode |= os.ModeSticky
	}
	return mode
}

// parent makes sure the directory holding name exists. apk-tools wants
// every parent as an earlier entry; a missing one is created 0755.
func (x *extractor) parent(name string) error {
	dir := path.Dir(name)
	if dir == "." || x.known[dir] {
		return nil
	}
	st, err := x.root.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return fmt.Errorf("parent %s is not a directory", dir)
		}
		x.known[dir] = true
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := x.parent(dir); err != nil {
		return err
	}
	if err := x.root.Mkdir(dir, 0o755); err != nil {
		return err
	}
	x.undo.created(dir)
	x.known[dir] = true
	return nil
}

// clear moves whatever non-directory sits at name out of the way, for
// the undo journal.
func (x *extractor) clear(name string) error {
	return x.undo.replace(x.root, name)
}

type tmpFile struct {
	x    *extractor
	f    *os.File
	dir  *os.Root // the directory of name, valid until the next create
	name string   // base name of the temporary file in dir
	done bool
}

// create opens a new temporary file beside name.
func (x *extractor) create(name string) (*tmpFile, error) {
	if err := x.parent(name); err != nil {
		return nil, err
	}
	dir, err := x.dirOf(path.Dir(name))
	if err != nil {
		return nil, err
	}
	for {
		x.seq++
		tmp := fmt.Sprintf(".pestle-new.%d", x.seq)
		f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &tmpFile{x: x, f: f, dir: dir, name: tmp}, nil
	}
}

func (t *tmpFile) abort() {
	if !t.done {
		t.f.Close()
		t.dir.Remove(t.name)
	}
}

// commit applies ownership, mode, xattrs and mtime to a verified temporary
// file and renames it into place.
func (x *extractor) commit(t *tmpFile, e Entry) error {
	if x.asRoot {
		if err := t.f.Chown(e.UID, e.GID); err != nil {
			return err
		}
	}
	// chmod after chown: chown clears setuid and setgid.
	if err := t.f.Chmod(fileMode(e.Mode)); err != nil {
		return err
	}
	for k, v := range e.Xattrs {
		if err := setXattr(t.f, k, v); err != nil {
			x.xattrFailed(e.Name, k, err)
		}
	}
	if err := t.f.Close(); err != nil {
		return err
	}
	if err := t.dir.Chtimes(t.name, e.ModTime, e.ModTime); err != nil {
		return err
	}
	base := path.Base(e.Name)
	if err := x.undo.replaceIn(t.dir, path.Dir(e.Name), base); err != nil {
		return err
	}
	if err := t.dir.Rename(t.name, base); err != nil {
		return err
	}
	t.done = true
	return nil
}

func (x *extractor) symlink(e Entry) error {
	if err := x.parent(e.Name); err != nil {
		return err
	}
	if err := x.clear(e.Name); err != nil {
		return err
	}
	if err := x.root.Symlink(e.Linkname, e.Name); err != nil {
		return err
	}
	if x.asRoot {
		return x.root.Lchown(e.Name, e.UID, e.GID)
	}
	return nil
}

func (x *extractor) link(e Entry) error {
	if err := x.parent(e.Name); err != nil {
		return err
	}
	if err := x.clear(e.Name); err != nil {
		return err
	}
	return x.root.Link(e.Linkname, e.Name)
}

// dir creates a directory (writable by us until finish applies its mode).
// An existing directory, or a symlink to one (a merged-/usr layout), is
// kept.
func (x *extractor) dir(e Entry) error {
	st, err := x.root.Lstat(e.Name)
	switch {
	case err == nil && st.IsDir():
	case err == nil && st.Mode()&fs.ModeSymlink != 0:
		if t, err := x.root.Stat(e.Name); err != nil || !t.IsDir() {
			if isEscape(err) {
				return err
			}
			return fmt.Errorf("a symlink to a non-directory is in the way of a directory")
		}
		return nil
	case err == nil:
		if err := x.clear(e.Name); err != nil {
			return err
		}
		fallthrough
	default:
		if err := x.parent(e.Name); err != nil {
			return err
		}
		if err := x.root.Mkdir(e.Name, 0o700); err != nil {
			return err
		}
		x.undo.created(e.Name)
	}
	x.dirs = append(x.dirs, e)
	return nil
}

// special creates a FIFO, or a device node when running as root; a
// device node is refused otherwise (only root may make one), so a package
// is never half installed with its devices missing.
func (x *extractor) special(e Entry) error {
	if e.Type != tar.TypeFifo && !x.asRoot {
		kind := map[byte]string{tar.TypeChar: "character device", tar.TypeBlock: "block device"}[e.Type]
		return fmt.Errorf("is a %s: creating device nodes needs root (install as root, or leave this package out)", kind)
	}
	if err := x.parent(e.Name); err != nil {
		return err
	}
	if err := x.clear(e.Name); err != nil {
		return err
	}
	if err := mknodIn(x.root, e); err != nil {
		return err
	}
	if x.asRoot {
		if err := x.root.Lchown(e.Name, e.UID, e.GID); err != nil {
			return err
		}
	}
	return x.root.Chtimes(e.Name, e.ModTime, e.ModTime)
}

// finish applies directory ownership, modes and mtimes, deepest first, now
// that nothing more is written into them.
func (x *extractor) finish() error {
	for i := len(x.dirs) - 1; i >= 0; i-- {
		e := x.dirs[i]
		if x.asRoot {
			if err := x.root.Lchown(e.Name, e.UID, e.GID); err != nil {
				return fmt.Errorf("%s: %w", e.Name, err)
			}
		}
		if err := x.root.Chmod(e.Name, fileMode(e.Mode)); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
		if err := x.root.Chtimes(e.Name, time.Time{}, e.ModTime); err != nil {
			return fmt.Errorf("%s: %w", e.Name, err)
		}
	}
	return nil
}

// xattrFailed reports an extended attribute that could not be set. A file
// capability (setcap) needs root: the warning says so, since without it
// the program installed will lack the privilege it was packaged with.
func (x *extractor) xattrFailed(name, attr string, err error) {
	if attr == XattrCapability && !x.asRoot {
		x.log.Warn("file capabilities not restored: setting security.capability needs root (CAP_SETFCAP); install as root to keep them",
			"file", "/"+name, "err", err)
		return
	}
	x.log.Warn("could not set extended attribute", "file", "/"+name, "xattr", attr, "err", err)
}
