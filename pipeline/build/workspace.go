package build

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// ignoreFile names the patterns of source files not copied into the
// workspace, as in melange.
const ignoreFile = ".melangeignore"

// ignore is a parsed .melangeignore: gitignore-like glob lines. A pattern
// with a slash (other than a trailing one) matches the path from the source
// dir; one without matches any base name; a trailing slash matches only
// directories; "#" starts a comment.
type ignore struct {
	patterns []ignorePattern
}

type ignorePattern struct {
	glob    string
	dirOnly bool
	rooted  bool
}

// maxIgnore bounds a .melangeignore: the source folder comes with the
// recipe, and a file of patterns is small.
const maxIgnore = 1 << 20

func loadIgnore(dir string) (*ignore, error) {
	name := filepath.Join(dir, ignoreFile)
	f, err := fsutil.OpenRegular(name)
	if errors.Is(err, fs.ErrNotExist) {
		return &ignore{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxIgnore {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a file of patterns may have", name, fi.Size(), maxIgnore)
	}
	ig := &ignore{}
	sc := bufio.NewScanner(io.LimitReader(f, maxIgnore))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		p := ignorePattern{}
		if strings.HasSuffix(text, "/") {
			p.dirOnly = true
			text = strings.TrimSuffix(text, "/")
		}
		if strings.Contains(text, "/") {
			p.rooted = true
			text = strings.TrimPrefix(text, "/")
		}
		if _, err := path.Match(text, ""); err != nil {
			return nil, fmt.Errorf("%s:%d: bad pattern %q: %w", filepath.Join(dir, ignoreFile), line, sc.Text(), err)
		}
		p.glob = text
		ig.patterns = append(ig.patterns, p)
	}
	return ig, sc.Err()
}

// match reports whether rel (slash-separated, relative to the source dir)
// is ignored.
func (ig *ignore) match(rel string, isDir bool) bool {
	rel = filepath.ToSlash(rel)
	for _, p := range ig.patterns {
		if p.dirOnly && !isDir {
			continue
		}
		subject := path.Base(rel)
		if p.rooted {
			subject = rel
		}
		if ok, _ := path.Match(p.glob, subject); ok {
			return true
		}
	}
	return false
}

// sourceFilter says which paths of the source dir stay out of the
// workspace: those .melangeignore names, private keys (see secrets), and
// the given absolute paths (the output, cache and scratch dirs when they
// live inside the source dir).
type sourceFilter struct {
	src  string // absolute
	ig   *ignore
	sec  *secrets
	skip map[string]bool // absolute paths
}

func newSourceFilter(srcDir string, sec *secrets, exclude ...string) (*sourceFilter, error) {
	ig, err := loadIgnore(srcDir)
	if err != nil {
		return nil, err
	}
	absSrc, err := filepath.Abs(srcDir)
	if err != nil {
		return nil, err
	}
	f := &sourceFilter{src: absSrc, ig: ig, sec: sec, skip: map[string]bool{}}
	// A source dir's own output dir is a past build's, never this one's.
	exclude = append(exclude, filepath.Join(absSrc, outputDir))
	for _, e := range exclude {
		if e == "" {
			continue
		}
		if a, err := filepath.Abs(e); err == nil {
			f.skip[a] = true
		}
	}
	return f, nil
}

// leftOut reports whether rel (relative to the source dir) stays out.
func (f *sourceFilter) leftOut(rel string, d fs.DirEntry) bool {
	return f.leftOutByName(rel, d) || f.sec.skip(filepath.Join(f.src, rel), rel, d)
}

// leftOutByName reports whether rel stays out for its name alone: an
// excluded path or an ignore pattern.
func (f *sourceFilter) leftOutByName(rel string, d fs.DirEntry) bool {
	return f.skip[filepath.Join(f.src, rel)] || f.ig.match(rel, d.IsDir())
}

// populate copies the source dir into the workspace, leaving out ignored
// paths, private keys (see secrets) and the given absolute paths (the
// output and workspace dirs when they live inside the source dir).
func populate(srcDir, workspace string, sec *secrets, exclude ...string) (int, error) {
	// The workspace itself may live inside the source dir (a TMPDIR or
	// --workspace-dir there): never copy it into itself.
	f, err := newSourceFilter(srcDir, sec, append(exclude, workspace)...)
	if err != nil {
		return 0, err
	}
	return f.copyTo(workspace)
}

// copyTo copies the source dir's files that stay in into workspace.
func (f *sourceFilter) copyTo(workspace string) (int, error) {
	n := 0
	err := copyInto(f.src, workspace, func(rel string, d fs.DirEntry) bool {
		if f.leftOut(rel, d) {
			return true
		}
		if !d.IsDir() {
			n++
		}
		return false
	})
	return n, err
}

// copyInto copies the contents of src into the existing directory dst.
func copyInto(src, dst string, skip func(string, fs.DirEntry) bool) error {
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if skip(e.Name(), e) {
			continue
		}
		sub := func(rel string, d fs.DirEntry) bool { return skip(filepath.Join(e.Name(), rel), d) }
		if err := copyTree(filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()), sub); err != nil {
			return err
		}
	}
	return nil
}
