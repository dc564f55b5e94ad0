package sca

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// Options say which package a tree belongs to and which findings to keep.
type Options struct {
	// Name is the package's name. Only a name ending in "-doc" matters:
	// such a package depends on man-db and texinfo for its pages.
	Name string
	// Version is the package's full version, V-rE ("2.12.1-r0"). It
	// versions the cmd:, so-ver: and pc: provides. Required.
	Version string

	NoProvides           bool // drop every detected provide
	NoDepends            bool // drop every detected dependency
	NoCommands           bool // drop every cmd: provide and dependency
	NoVersionedShlibDeps bool // no so-ver:X>=V or pc:X>=V dependencies

	// Siblings are the output trees of the other (sub)packages of the
	// same build, in recipe order. A ".so" symlink whose target is not in
	// this tree is looked up there, and their etc/ld.so.conf.d adds
	// library dirs. Optional.
	Siblings []string
	// Family, when set, replaces Siblings: the build's output trees read
	// once by NewFamily, this tree among them. Give it when scanning many
	// trees of one build: each scan then costs its own tree only.
	Family *Family
	// Environment are the packages installed in the build environment.
	// They bound the versioned so-ver: and pc: dependencies. Optional.
	Environment []*apk.PackageInfo
	// Logger receives one debug line per finding and a warning per file
	// that could not be understood; nil discards.
	Logger *slog.Logger
}

// Result is what one tree needs and offers.
type Result struct {
	// Depends are the runtime dependencies, sorted, unique. They may name
	// what the package provides itself (a program and its own library);
	// Merge drops those.
	Depends  []string
	Provides []string // provides, sorted, unique
	// Vendored are so:, so-ver: and pc: names found outside the standard
	// directories: not provided to others, but they satisfy the package's
	// own dependencies. Sorted, unique.
	Vendored []string
	// Reasons says, for each entry of the three lists, which file made
	// it ("DT_NEEDED of usr/bin/hello").
	Reasons map[string]string

	// yields maps a detected interpreter dependency (python-3.12-base…)
	// to the test that tells whether a recipe dependency already covers it.
	yields map[string]func(recipeDep string) bool
}

// ErrNoVersion is returned by Analyze when Options.Version is empty.
var ErrNoVersion = errors.New("sca: Options.Version is empty; pass the package's full version (V-rE, e.g. 1.2.3-r0)")

// headSize is how much of each file is read to recognise ELF and "#!".
const headSize = 256

// Analyze walks tree and returns what its files need and provide. The
// result is deterministic: lists are sorted and free of duplicates.
func Analyze(ctx context.Context, tree string, opts Options) (*Result, error) {
	if opts.Version == "" {
		return nil, ErrNoVersion
	}
	if err := version.Validate(opts.Version); err != nil {
		return nil, fmt.Errorf("sca: Options.Version: %w", err)
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		return nil, fmt.Errorf("sca: %w", err)
	}
	defer root.Close()
	s := newScan(root, opts)
	if s.family, s.self = opts.Family, -1; s.family != nil {
		s.self = s.family.member(tree)
	} else if s.family, err = NewFamily(append([]string{tree}, opts.Siblings...)); err != nil {
		return nil, err
	} else {
		s.self = 0
	}
	if err := s.loadLibDirs(); err != nil {
		return nil, err
	}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("sca: scanning %s: %w", tree, err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		return s.visit(p, d)
	})
	s.closeDir()
	if err != nil {
		return nil, err
	}
	s.languages()
	return s.result(), nil
}

// scan is the state of one Analyze call.
type scan struct {
	opts    Options
	log     *slog.Logger
	root    *os.Root
	family  *Family  // this tree's siblings
	self    int      // this tree's index in family, -1 when not in it
	libDirs []string // library dirs in lookup order
	isLib   map[string]bool

	depends, provides, vendored found
	yields                      map[string]func(string) bool
	env                         *environment

	python, pythonAt string   // last pythonX.Y/site-packages seen
	perl, ruby       []string // matching paths, walk order
	head             []byte
	dir              *os.File // the directory openInDir keeps open
	dirName          string
}

func newScan(root *os.Root, opts Options) *scan {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &scan{
		opts: opts, log: log, root: root,
		depends: found{}, provides: found{}, vendored: found{},
		yields: map[string]func(string) bool{},
		head:   make([]byte, headSize),
	}
}

// visit looks at one entry of the tree; p is slash-separated and relative.
func (s *scan) visit(p string, d fs.DirEntry) error {
	s.noteLanguage(p, d)
	switch {
	case d.Type().IsRegular():
		return s.file(p, d)
	case d.Type()&fs.ModeSymlink != 0:
		s.symlink(p)
	}
	return nil
}

// file looks at a regular file.
func (s *scan) file(p string, d fs.DirEntry) error {
	fd, err := s.openInDir(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		// Say what the walk knows of it, then why it was not read.
		info, err2 := d.Info()
		if err2 != nil {
			if errors.Is(err2, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("sca: %s: %w", p, err2)
		}
		s.command(p, info.Mode())
		s.log.Warn("sca: cannot open file", "path", p, "err", err)
		return nil
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd) // gone meanwhile, or no longer a regular file
		return nil
	}
	s.command(p, fs.FileMode(st.Mode&0o777))
	n, err := readHead(fd, s.head)
	if err != nil {
		syscall.Close(fd)
		s.log.Warn("sca: cannot read file", "path", p, "err", err)
		return nil
	}
	head := s.head[:n]
	elf := isELF(head)
	pc := strings.HasSuffix(p, ".pc")
	if !elf && !pc {
		syscall.Close(fd)
		if len(head) >= 2 && head[0] == '#' && head[1] == '!' && underAny(p, shebangDirs) {
			s.shebang(p, head)
		}
		return nil
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	if elf {
		s.elf(p, f)
	}
	if pc {
		s.pkgConfig(p, f)
	}
	return nil
}

// command notes an executable in a command dir as a cmd: provide.
func (s *scan) command(p string, mode fs.FileMode) {
	if mode.Perm()&0o555 == 0o555 && inDir(p, cmdDirs) {
		s.add(s.provides, "cmd:"+path.Base(p)+"="+s.opts.Version, "executable in "+path.Dir(p))
	}
}

// openInDir opens the file at p (relative to the root, its name a plain
// one) with one openat relative to its directory, whose descriptor is kept
// while the walk visits that directory's files: opening each file through
// the root instead resolves its whole path, a system call per component.
// The file is opened without following a symlink and without blocking on
// a FIFO; the directory through the root, so never outside it.
func (s *scan) openInDir(p string) (int, error) {
	dir, name := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if s.dir == nil || s.dirName != dir {
		s.closeDir()
		f, err := s.root.Open(dir)
		if err != nil {
			return -1, err
		}
		s.dir, s.dirName = f, dir
	}
	for {
		fd, err := syscall.Openat(int(s.dir.Fd()), name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			if err != nil {
				return -1, &fs.PathError{Op: "open", Path: p, Err: err}
			}
			return fd, nil
		}
	}
}

// closeDir closes the directory openInDir keeps.
func (s *scan) closeDir() {
	if s.dir != nil {
		s.dir.Close()
		s.dir, s.dirName = nil, ""
	}
}

// readHead reads the start of a regular file into head.
func readHead(fd int, head []byte) (int, error) {
	n := 0
	for n < len(head) {
		m, err := syscall.Read(fd, head[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}

// symlink looks at a symbolic link: a ".so" link depends on the soname of
// its target, and a link to an ELF file in the tree is read like the file.
func (s *scan) symlink(p string) {
	target, err := s.root.Readlink(p)
	if err != nil {
		s.log.Warn("sca: cannot read symlink", "path", p, "err", err)
		return
	}
	if strings.Contains(p, ".so") {
		s.soSymlink(p, path.Base(target))
	}
	var resolved string
	if path.IsAbs(target) {
		resolved = strings.TrimPrefix(path.Clean(target), "/")
	} else {
		resolved = path.Join(path.Dir(p), target)
	}
	if resolved == "" || resolved == "." || strings.HasPrefix(resolved, "../") || resolved == ".." {
		return
	}
	info, err := s.root.Stat(resolved)
	if err != nil || !info.Mode().IsRegular() {
		return // dangling, outside the tree, or not a file
	}
	f, err := s.root.Open(resolved)
	if err != nil {
		return
	}
	defer f.Close()
	n, _ := io.ReadFull(f, s.head)
	if isELF(s.head[:n]) {
		s.elf(p, f)
	}
}

// found is a set of tokens with the reason each was found.
type found map[string]*why

type why struct {
	first string
	more  int
}

func (f found) note(tok, reason string) {
	if w, ok := f[tok]; ok {
		if w.first != reason {
			w.more++
		}
		return
	}
	f[tok] = &why{first: reason}
}

// add keeps tok if it is a well-formed apk dependency token: a name that
// is not one (a space, a newline, an operator in a file name) would break
// .PKGINFO, so it is logged and skipped.
func (s *scan) add(set found, tok, reason string) bool {
	d, err := version.ParseDependency(tok)
	if err != nil || d.Conflict || d.Tag != "" || d.String() != tok {
		s.log.Warn("sca: skipping a name that is not a valid apk dependency", "token", tok, "found", reason)
		return false
	}
	if _, seen := set[tok]; !seen {
		s.log.Debug("sca: found", "token", tok, "reason", reason)
	}
	set.note(tok, reason)
	return true
}

// addDep adds an unversioned dependency on name.
func (s *scan) addDep(name, reason string) bool {
	if d, err := version.ParseDependency(name); err != nil || d.Op != version.Any {
		s.log.Warn("sca: skipping a name that is not a valid apk dependency", "token", name, "found", reason)
		return false
	}
	return s.add(s.depends, name, reason)
}

// result sorts the findings and applies the options.
func (s *scan) result() *Result {
	r := &Result{Reasons: map[string]string{}, yields: map[string]func(string) bool{}}
	keep := func(set found, drop func(string) bool) []string {
		var out []string
		for tok, w := range set {
			if drop != nil && drop(tok) {
				continue
			}
			out = append(out, tok)
			r.Reasons[tok] = w.String()
		}
		slices.Sort(out)
		return out
	}
	isCmd := func(tok string) bool { return s.opts.NoCommands && strings.HasPrefix(tok, "cmd:") }
	if !s.opts.NoDepends {
		r.Depends = keep(s.depends, isCmd)
	}
	if !s.opts.NoProvides {
		r.Provides = keep(s.provides, isCmd)
	}
	r.Vendored = keep(s.vendored, nil)
	for _, d := range r.Depends {
		if y, ok := s.yields[d]; ok {
			r.yields[d] = y
		}
	}
	return r
}

func (w *why) String() string {
	if w.more == 0 {
		return w.first
	}
	return fmt.Sprintf("%s (and %d more)", w.first, w.more)
}
