package lint

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// entry is one path of the package tree, as lstat sees it.
type entry struct {
	path string // slash-separated, relative to the root
	mode fs.FileMode
	size int64
	info fs.FileInfo // nil for Options.Special entries
}

func (e *entry) isDir() bool         { return e.mode.IsDir() }
func (e *entry) regular() bool       { return e.mode.IsRegular() }
func (e *entry) base() string        { return path.Base(e.path) }
func (e *entry) under(p string) bool { return strings.HasPrefix(e.path, p+"/") }

// sbomDir is where the package's SBOM lives; only the sbom linter looks
// inside.
const sbomDir = "var/lib/db/sbom"

// tree is a package tree walked once, shared by all linters.
type tree struct {
	ctx     context.Context
	root    *os.Root
	opts    Options
	all     []entry // every entry, in lexical order
	entries []entry // all but the SBOM directory's content
	elves   map[string]*elfInfo
}

func openTree(ctx context.Context, dir string, opts Options) (*tree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening package tree: %w", err)
	}
	t := &tree{ctx: ctx, root: root, opts: opts, elves: map[string]*elfInfo{}}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading package tree: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading package tree: %w", err)
		}
		t.all = append(t.all, entry{path: p, mode: fi.Mode(), size: fi.Size(), info: fi})
		return nil
	})
	if err != nil {
		root.Close()
		return nil, err
	}
	for _, s := range opts.Special {
		s = strings.Trim(filepath.ToSlash(path.Clean("/"+s)), "/")
		if s != "" {
			t.all = append(t.all, entry{path: s, mode: fs.ModeDevice | fs.ModeCharDevice})
		}
	}
	for _, e := range t.all {
		if !e.under(sbomDir) {
			t.entries = append(t.entries, e)
		}
	}
	return t, nil
}

func (t *tree) close() { t.root.Close() }

// files calls fn for every non-directory outside the SBOM directory.
func (t *tree) files(fn func(e *entry)) {
	for i := range t.entries {
		if !t.entries[i].isDir() {
			fn(&t.entries[i])
		}
	}
}

// matching returns a finding with msg for every non-directory for which
// match is true.
func (t *tree) matching(msg string, match func(e *entry) bool) []Finding {
	var out []Finding
	t.files(func(e *entry) {
		if match(e) {
			out = append(out, Finding{Path: e.path, Message: msg})
		}
	})
	return out
}

func (t *tree) pkgHasSuffix(suffixes ...string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(t.opts.PackageName, s) {
			return true
		}
	}
	return false
}

// elfInfo is what the ELF linters need of a file.
type elfInfo struct {
	machine elf.Machine
	debug   []string // .debug*/.zdebug* section names
}

// elf reads the ELF header of a regular file that is executable or named
// like a shared library; nil if it is neither, not ELF, or unreadable
// (these linters only warn; they do not fail a build over a file they
// cannot open).
func (t *tree) elf(e *entry) *elfInfo {
	if !e.regular() || e.size < 16 || e.mode&0o111 == 0 && !libraryName(e.base()) {
		return nil
	}
	info, ok := t.elves[e.path]
	if !ok {
		info = t.readELF(e.path)
		t.elves[e.path] = info
	}
	return info
}

func (t *tree) readELF(p string) *elfInfo {
	f, err := t.root.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil || !bytes.Equal(magic[:], []byte(elf.ELFMAG)) {
		return nil
	}
	ef, err := elf.NewFile(f)
	if err != nil {
		return nil
	}
	info := &elfInfo{machine: ef.Machine}
	for _, s := range ef.Sections {
		if strings.HasPrefix(s.Name, ".debug") || strings.HasPrefix(s.Name, ".zdebug") {
			info.debug = append(info.debug, s.Name)
		}
	}
	return info
}

// libraryName reports whether a file name looks like a shared or static
// library: lib.so, lib.so.1.2, lib.dylib, lib.a.
func libraryName(name string) bool {
	for _, ext := range []string{".so", ".dylib", ".a"} {
		i := strings.Index(name, ext)
		for i >= 0 {
			rest := name[i+len(ext):]
			if rest == "" || rest[0] == '.' && strings.Trim(rest, ".0123456789") == "" {
				return true
			}
			j := strings.Index(rest, ext)
			if j < 0 {
				break
			}
			i += len(ext) + j
		}
	}
	return false
}
