package source

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"time"
)

// extractor writes archive members into a root, refusing anything that
// would land outside it. Every member's parent chain is checked to be
// made of real directories (never symbolic links), and an existing entry
// is removed before a member replaces it, so nothing is ever written
// through a link. os.Root enforces the same confinement underneath.
type extractor struct {
	archive string
	root    *os.Root
	strip   int
	log     *slog.Logger
	known   map[string]bool    // real directories already checked or made
	dirs    map[string]dirMeta // directory members: mode and mtime, set last
}

// dirMeta is the mode and modification time of a directory member,
// applied after all members are in place (a read-only directory must not
// block its own children).
type dirMeta struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

func newExtractor(archive string, root *os.Root, strip int, log *slog.Logger) *extractor {
	return &extractor{archive: archive, root: root, strip: strip, log: log,
		known: map[string]bool{}, dirs: map[string]dirMeta{}}
}

func (x *extractor) fail(member string, err error) error {
	return &ExtractError{Archive: x.archive, Member: member, Err: err}
}

func (x *extractor) unsafe(member, why string) error {
	return x.fail(member, fmt.Errorf("%w: %s", ErrUnsafePath, why))
}

// clean turns a member name into a path relative to the root, after
// dropping x.strip leading components the way GNU tar counts them ("./"
// is a component, repeated slashes are one separator). It returns "" for
// members that are stripped away entirely or name the root itself.
func (x *extractor) clean(raw string) (string, error) {
	name, why := stripName(raw, x.strip)
	if why != "" {
		return "", x.unsafe(raw, why)
	}
	return name, nil
}

// stripName is clean without the error wrapping: it returns the cleaned
// name, or why the name is unsafe.
func stripName(raw string, strip int) (string, string) {
	if strings.HasPrefix(raw, "/") {
		return "", "absolute name"
	}
	if strings.IndexByte(raw, 0) >= 0 {
		return "", "NUL byte in name"
	}
	parts := strings.Split(raw, "/")
	kept := parts[:0]
	for _, p := range parts {
		if p == ".." {
			return "", `".." component`
		}
		if p != "" {
			kept = append(kept, p)
		}
	}
	if len(kept) <= strip {
		return "", ""
	}
	out := slices.DeleteFunc(kept[strip:], func(p string) bool { return p == "." })
	return strings.Join(out, "/"), ""
}

// ensureParent makes sure every directory above name exists and is a
// real directory inside the root.
func (x *extractor) ensureParent(member, name string) error {
	dir := path.Dir(name)
	if dir == "." || x.known[dir] {
		return nil
	}
	cur := ""
	for p := range strings.SplitSeq(dir, "/") {
		cur = path.Join(cur, p)
		if x.known[cur] {
			continue
		}
		fi, err := x.root.Lstat(cur)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := x.root.Mkdir(cur, 0o755); err != nil {
				return x.fail(member, err)
			}
		case err != nil:
			return x.fail(member, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return x.unsafe(member, "parent directory "+cur+" is a symbolic link")
		case !fi.IsDir():
			return x.fail(member, fmt.Errorf("parent %s is not a directory", cur))
		}
		x.known[cur] = true
	}
	return nil
}

// replace removes whatever is at name so that a member can take its
// place. A non-empty directory is kept and reported.
func (x *extractor) replace(member, name string) error {
	fi, err := x.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return x.fail(member, err)
	}
	if err := x.root.Remove(name); err != nil {
		if fi.IsDir() {
			return x.fail(member, fmt.Errorf("cannot replace non-empty directory %s", name))
		}
		return x.fail(member, err)
	}
	delete(x.known, name)
	delete(x.dirs, name)
	return nil
}

func (x *extractor) dir(member, name string, mode fs.FileMode, mtime time.Time) error {
	if err := x.ensureParent(member, name); err != nil {
		return err
	}
	fi, err := x.root.Lstat(name)
	switch {
	case err == nil && fi.IsDir():
	case err == nil || errors.Is(err, fs.ErrNotExist):
		if err := x.replace(member, name); err != nil {
			return err
		}
		if err := x.root.Mkdir(name, 0o755); err != nil {
			return x.fail(member, err)
		}
	default:
		return x.fail(member, err)
	}
	x.known[name] = true
	x.dirs[name] = dirMeta{name: name, mode: mode.Perm(), mtime: mtime}
	return nil
}

func (x *extractor) file(member, name string, mode fs.FileMode, mtime time.Time, r io.Reader) error {
	if err := x.ensureParent(member, name); err != nil {
		return err
	}
	if err := x.replace(member, name); err != nil {
		return err
	}
	f, err := x.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return x.fail(member, err)
	}
	// io.Copy lets tar.Reader.WriteTo seek over the holes of sparse
	// members instead of writing their zeros.
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Chmod(mode.Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !mtime.IsZero() {
		err = x.root.Chtimes(name, mtime, mtime)
	}
	if err != nil {
		return x.fail(member, err)
	}
	return nil
}

func (x *extractor) symlink(member, name, target string) error {
	if target == "" {
		return x.fail(member, errors.New("symbolic link with an empty target"))
	}
	if err := x.ensureParent(member, name); err != nil {
		return err
	}
	if err := x.replace(member, name); err != nil {
		return err
	}
	if err := x.root.Symlink(target, name); err != nil {
		return x.fail(member, err)
	}
	return nil
}

func (x *extractor) hardlink(member, name, rawTarget string) error {
	target, why := stripName(rawTarget, x.strip)
	if why != "" {
		return x.unsafe(member, "hard link target "+rawTarget+": "+why)
	}
	if target == "" {
		return x.fail(member, fmt.Errorf("hard link target %q is removed by strip-components", rawTarget))
	}
	if target == name {
		return nil
	}
	if err := x.ensureParent(member, target); err != nil {
		return err
	}
	fi, err := x.root.Lstat(target)
	if err != nil {
		return x.fail(member, fmt.Errorf("hard link target %s: %w", target, err))
	}
	if fi.IsDir() {
		return x.fail(member, fmt.Errorf("hard link target %s is a directory", target))
	}
	if err := x.ensureParent(member, name); err != nil {
		return err
	}
	if err := x.replace(member, name); err != nil {
		return err
	}
	if err := x.root.Link(target, name); err != nil {
		return x.fail(member, err)
	}
	return nil
}

// dirMetas lists the directory members deepest first.
func (x *extractor) dirMetas() []dirMeta {
	out := make([]dirMeta, 0, len(x.dirs))
	for _, m := range x.dirs {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b dirMeta) int {
		if d := strings.Count(b.name, "/") - strings.Count(a.name, "/"); d != 0 {
			return d
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// applyDirMetas gives the directories under prefix their recorded mode and
// modification time.
func applyDirMetas(root *os.Root, prefix string, metas []dirMeta) error {
	for _, m := range metas {
		p := path.Join(prefix, m.name)
		if err := root.Chmod(p, m.mode); err != nil {
			return err
		}
		if !m.mtime.IsZero() {
			if err := root.Chtimes(p, m.mtime, m.mtime); err != nil {
				return err
			}
		}
	}
	return nil
}
