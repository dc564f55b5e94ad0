package lint

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Linters that judge a path by its name, type or mode bits.

func checkDev(t *tree) ([]Finding, error) {
	return t.matching("package installs a file under /dev", func(e *entry) bool { return e.under("dev") }), nil
}

func checkVarEmpty(t *tree) ([]Finding, error) {
	return t.matching("package installs a file under /var/empty", func(e *entry) bool { return e.under("var/empty") }), nil
}

func checkTempdir(t *tree) ([]Finding, error) {
	var out []Finding
	for i := range t.entries {
		e := &t.entries[i]
		var dir string
		switch {
		case e.under("run"), e.under("var/run"):
			// anything, directories included: /run is a tmpfs at boot
			dir = "/" + strings.SplitN(e.path, "/", 2)[0]
			if e.under("var/run") {
				dir = "/var/run"
			}
		case e.isDir():
			continue
		case e.under("tmp"):
			dir = "/tmp"
		case e.under("var/tmp"):
			dir = "/var/tmp"
		default:
			continue
		}
		what := "file"
		if e.isDir() {
			what = "directory"
		}
		out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("%s in temporary directory %s, which is empty at boot", what, dir)})
	}
	return out, nil
}

func checkInfodir(t *tree) ([]Finding, error) {
	const dir = "usr/share/info/dir"
	return t.matching("usr/share/info/dir is the info index that apk rebuilds; a package must not ship it",
		func(e *entry) bool { return e.path == dir || e.under(dir) }), nil
}

func checkLaFiles(t *tree) ([]Finding, error) {
	return t.matching("libtool archive (.la)", func(e *entry) bool { return path.Ext(e.path) == ".la" }), nil
}

func modeString(m fs.FileMode) string {
	perm := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		perm |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		perm |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		perm |= 0o1000
	}
	return fmt.Sprintf("%04o", perm)
}

func checkSetuid(t *tree) ([]Finding, error) {
	var out []Finding
	t.files(func(e *entry) {
		if !e.regular() {
			return
		}
		var bits []string
		if e.mode&fs.ModeSetuid != 0 {
			bits = append(bits, "setuid")
		}
		if e.mode&fs.ModeSetgid != 0 {
			bits = append(bits, "setgid")
		}
		if e.mode&fs.ModeSticky != 0 {
			bits = append(bits, "sticky")
		}
		if len(bits) > 0 {
			out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("%s file (mode %s)", strings.Join(bits, " and "), modeString(e.mode))})
		}
	})
	return out, nil
}

func checkWorldWrite(t *tree) ([]Finding, error) {
	var out []Finding
	t.files(func(e *entry) {
		if !e.regular() || e.mode&0o002 == 0 {
			return
		}
		what := "world-writable file"
		if e.mode&0o111 != 0 {
			what = "world-writable executable"
		}
		out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("%s (mode %s)", what, modeString(e.mode))})
	})
	return out, nil
}

// usrmergeDirs must not exist as real directories (or files) in a merged-/usr
// system; symbolic links to their /usr counterparts are fine.
var usrmergeDirs = []string{"bin", "sbin", "lib", "lib64", "usr/sbin"}

func checkUsrmerge(t *tree) ([]Finding, error) {
	var out []Finding
	for i := range t.entries {
		e := &t.entries[i]
		switch {
		case slices.Contains(usrmergeDirs, e.path):
			if e.isDir() || e.regular() {
				out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("/%s is not a symbolic link on a merged-/usr system", e.path)})
			}
		default:
			for _, d := range usrmergeDirs {
				if e.under(d) {
					out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("path under /%s; merged /usr wants it under /usr", d)})
					break
				}
			}
		}
	}
	return out, nil
}

func compatCheck(t *tree, dir string) []Finding {
	if t.pkgHasSuffix("-compat") {
		return nil
	}
	return t.matching("package not named *-compat installs under /"+dir, func(e *entry) bool { return e.under(dir) })
}

func checkOpt(t *tree) ([]Finding, error)      { return compatCheck(t, "opt"), nil }
func checkSrv(t *tree) ([]Finding, error)      { return compatCheck(t, "srv"), nil }
func checkUsrLocal(t *tree) ([]Finding, error) { return compatCheck(t, "usr/local"), nil }

func checkObject(t *tree) ([]Finding, error) {
	return t.matching("intermediate object file (.o)", func(e *entry) bool { return path.Ext(e.path) == ".o" }), nil
}

func checkStaticArchive(t *tree) ([]Finding, error) {
	if t.pkgHasSuffix("-dev", "-static") {
		return nil, nil
	}
	return t.matching("static archive (.a) in a package not named *-dev or *-static", func(e *entry) bool { return path.Ext(e.path) == ".a" }), nil
}

func checkDLL(t *tree) ([]Finding, error) {
	if t.pkgHasSuffix("-dev") {
		return nil, nil
	}
	return t.matching("Windows library (.dll)", func(e *entry) bool { return path.Ext(e.path) == ".dll" }), nil
}

func checkDylib(t *tree) ([]Finding, error) {
	if t.pkgHasSuffix("-dev") {
		return nil, nil
	}
	return t.matching("macOS library (.dylib)", func(e *entry) bool { return path.Ext(e.path) == ".dylib" }), nil
}

var cudaDriverLib = &lazyRegexp{expr: `^usr/lib/lib(cuda|nvidia-ml)\.so(\.[0-9]+)*$`}

func checkCUDA(t *tree) ([]Finding, error) {
	return t.matching("CUDA driver library, which the host's driver provides", func(e *entry) bool { return cudaDriverLib.get().MatchString(e.path) }), nil
}

// docName reports whether a path looks like documentation: README-like
// names, Markdown, Word, reStructuredText, or a man-style ".<digit><letter>"
// suffix.
func docName(p string) bool {
	for _, s := range []string{"READ", "README", "READ.ME", "TODO", "CREDITS", ".md", ".doc", ".docx", ".rst"} {
		if strings.HasSuffix(p, s) {
			return true
		}
	}
	n := len(p)
	return n >= 3 && p[n-3] == '.' && isDigit(p[n-2]) && 'a' <= p[n-1] && p[n-1] <= 'z'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// manPage reports whether a path is a man page: under usr/share/man,
// usr/local/share/man or usr/man, directly or in a man<N> section
// directory (optionally below a locale directory), named <page>.<N>….
func manPage(p string) bool {
	var rest string
	for _, dir := range []string{"usr/share/man/", "usr/local/share/man/", "usr/man/"} {
		if r, ok := strings.CutPrefix(p, dir); ok {
			rest = r
			break
		}
	}
	if rest == "" {
		return false
	}
	parts := strings.Split(rest, "/")
	name := parts[len(parts)-1]
	switch dirs := parts[:len(parts)-1]; len(dirs) {
	case 0:
	case 1, 2:
		sec := dirs[len(dirs)-1]
		if len(sec) < 4 || !strings.HasPrefix(sec, "man") || !isDigit(sec[3]) {
			return false
		}
	default:
		return false
	}
	i := strings.IndexByte(name, '.')
	for i > 0 && i+1 < len(name) {
		if isDigit(name[i+1]) {
			return true
		}
		j := strings.IndexByte(name[i+1:], '.')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

// infoPage reports whether a path is a GNU info file (or the info index)
// under usr/share/info or usr/local/share/info: <name>.info, <name>.info-N,
// optionally compressed.
func infoPage(p string) bool {
	var name string
	for _, dir := range []string{"usr/share/info/", "usr/local/share/info/"} {
		if r, ok := strings.CutPrefix(p, dir); ok {
			name = r
			break
		}
	}
	if name == "" || strings.Contains(name, "/") {
		return false
	}
	if name == "dir" {
		return true
	}
	for _, z := range []string{".gz", ".bz2", ".xz", ".lzma", ".Z"} {
		name = strings.TrimSuffix(name, z)
	}
	i := strings.LastIndex(name, ".info")
	if i <= 0 {
		return false
	}
	suffix := name[i+len(".info"):]
	if suffix == "" {
		return true
	}
	return len(suffix) > 1 && suffix[0] == '-' && strings.Trim(suffix[1:], "0123456789") == ""
}

func checkDocumentation(t *tree) ([]Finding, error) {
	if t.pkgHasSuffix("-doc") {
		return nil, nil
	}
	return t.matching("documentation file in a package not named *-doc", func(e *entry) bool { return docName(e.path) }), nil
}

func checkManInfo(t *tree) ([]Finding, error) {
	if t.pkgHasSuffix("-doc") {
		return nil, nil
	}
	return t.matching("man or info page in a package not named *-doc", func(e *entry) bool {
		return manPage(e.path) || infoPage(e.path)
	}), nil
}

func checkSBOM(t *tree) ([]Finding, error) {
	var out []Finding
	for _, e := range t.all {
		if path.Dir(e.path) == sbomDir && !e.isDir() && !strings.HasSuffix(e.path, ".spdx.json") {
			out = append(out, Finding{Path: e.path, Message: "file in var/lib/db/sbom that is not an SPDX document (*.spdx.json)"})
		}
	}
	return out, nil
}

var pkgconfDir = &lazyRegexp{expr: `^usr/(lib|share)/pkgconfig/`}

func hasTest(t *tree, uses ...string) bool {
	for _, u := range t.opts.Tests {
		if slices.Contains(uses, u) {
			return true
		}
	}
	return false
}

func checkPkgconf(t *tree) ([]Finding, error) {
	if hasTest(t, "test/pkgconf") {
		return nil, nil
	}
	return t.matching("pkg-config file, but no test of the package uses test/pkgconf", func(e *entry) bool { return pkgconfDir.get().MatchString(e.path) }), nil
}

var sharedObject = &lazyRegexp{expr: `\.so(?:\.[0-9]+)*$`}

func checkLddcheck(t *tree) ([]Finding, error) {
	if hasTest(t, "test/ldd-check", "test/tw/ldd-check") {
		return nil, nil
	}
	return t.matching("shared object, but no test of the package uses test/ldd-check", func(e *entry) bool { return sharedObject.get().MatchString(e.path) }), nil
}

func checkEmpty(t *tree) ([]Finding, error) {
	for i := range t.entries {
		if !t.entries[i].isDir() {
			return nil, nil
		}
	}
	return []Finding{{Message: "package contains no files"}}, nil
}

// platforms maps a non-Linux platform to the spellings that name it.
var platforms = []struct {
	name  string
	names []string
}{
	{"macOS", []string{"darwin", "macos", "mac_os", "mac-os", "osx", "os_x", "os-x"}},
	{"Windows", []string{"windows", "win32", "win64"}},
}

func checkNonLinux(t *tree) ([]Finding, error) {
	var out []Finding
	t.files(func(e *entry) {
		p := strings.ToLower(e.path)
		for _, pl := range platforms {
			for _, n := range pl.names {
				if strings.Contains(p, n) {
					out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("path names %s (%q)", pl.name, n)})
					return
				}
			}
		}
	})
	return out, nil
}

var (
	supportedArchNames = []string{"aarch64", "arm64", "amd64", "x86_64", "x86-64"}
	otherArchNames     = []string{"i386", "i686", "x86_32", "x86-32", "ppc64le", "ppc64", "powerpc", "s390x", "s390",
		"mips64", "mipsel", "mips", "riscv64", "riscv", "sparc64", "sparc", "ia64", "m68k"}
)

// checkUnsupportedArch flags paths whose directories are named after an
// architecture pestle does not build for (usr/lib/s390x-linux-gnu/…), and
// files whose names end in or carry one as a separate word
// (foo-ppc64le.so, bar_i386.bin) unless the path also names a supported one.
func checkUnsupportedArch(t *tree) ([]Finding, error) {
	var out []Finding
	t.files(func(e *entry) {
		p := strings.ToLower(e.path)
		if arch := archInDirs(path.Dir(p)); arch != "" {
			out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("directory named for architecture %s", arch)})
			return
		}
		for _, s := range supportedArchNames {
			if strings.Contains(p, s) {
				return
			}
		}
		if arch := archInName(path.Base(p)); arch != "" {
			out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("file named for architecture %s", arch)})
		}
	})
	return out, nil
}

type archWord struct {
	arch              string
	dirPrefixes       []string
	infixes, suffixes []string
}

// archWords are the spellings that make a name refer to one of
// otherArchNames, built on first use: as a directory (arch, arch-…, arch_…) and
// inside a file name (-arch-, _arch., …, or ending in .arch).
var (
	archWordsOnce sync.Once
	archWordList  []archWord
)

func archWords() []archWord {
	archWordsOnce.Do(func() { archWordList = makeArchWords() })
	return archWordList
}

func makeArchWords() (out []archWord) {
	for _, a := range otherArchNames {
		w := archWord{arch: a, dirPrefixes: []string{a + "-", a + "_"}}
		for _, sep := range []string{"-", "_", "."} {
			w.infixes = append(w.infixes, sep+a+sep, sep+a+".")
			w.suffixes = append(w.suffixes, sep+a)
		}
		out = append(out, w)
	}
	return out
}

func archInDirs(dir string) string {
	if dir == "." {
		return ""
	}
	for _, comp := range strings.Split(dir, "/") {
		for _, w := range archWords() {
			if comp == w.arch || strings.HasPrefix(comp, w.dirPrefixes[0]) || strings.HasPrefix(comp, w.dirPrefixes[1]) {
				return w.arch
			}
		}
	}
	return ""
}

func archInName(base string) string {
	for _, w := range archWords() {
		if !strings.Contains(base, w.arch) {
			continue
		}
		for _, s := range w.infixes {
			if strings.Contains(base, s) {
				return w.arch
			}
		}
		for _, s := range w.suffixes {
			if strings.HasSuffix(base, s) {
				return w.arch
			}
		}
	}
	return ""
}

// lazyRegexp is a regular expression compiled on first use rather than
// when the package is initialised, which every pestle process would pay
// for. A package-level &lazyRegexp{expr: …} is constant data: it runs no
// code at start-up (a sync.OnceValue would).
type lazyRegexp struct {
	expr string
	once sync.Once
	re   *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.expr) })
	return l.re
}
