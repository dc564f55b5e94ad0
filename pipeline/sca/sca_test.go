package sca

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// The glibc binary melange packaged must give exactly the depend and
// provides lines melange wrote into that package's .PKGINFO.
func TestHelloFixtureMatchesMelange(t *testing.T) {
	tree := t.TempDir()
	melange := extractAPK(t, helloAPK(t), tree)
	r := analyze(t, tree, Options{Name: melange.Name, Version: melange.Version})
	equal(t, "depends", r.Depends, []string{"so:ld-linux-x86-64.so.2", "so:libc.so.6"})
	equal(t, "provides", r.Provides, []string{"cmd:hello=2.12.1-r0"})
	equal(t, "depends vs melange", r.Depends, melange.Depends)
	equal(t, "provides vs melange", r.Provides, melange.Provides)
	if len(r.Vendored) != 0 {
		t.Errorf("vendored = %q, want none", r.Vendored)
	}
	want := map[string]string{
		"so:ld-linux-x86-64.so.2": "PT_INTERP of usr/bin/hello (/lib64/ld-linux-x86-64.so.2)",
		"so:libc.so.6":            "DT_NEEDED of usr/bin/hello",
		"cmd:hello=2.12.1-r0":     "executable in usr/bin",
	}
	for tok, reason := range want {
		if r.Reasons[tok] != reason {
			t.Errorf("reason of %s = %q, want %q", tok, r.Reasons[tok], reason)
		}
	}
}

// The same tree named as a -doc package needs texinfo for its info page.
func TestHelloFixtureAsDocPackage(t *testing.T) {
	tree := t.TempDir()
	extractAPK(t, helloAPK(t), tree)
	r := analyze(t, tree, Options{Name: "hello-wolfi-doc", Version: "2.12.1-r0", NoCommands: true})
	equal(t, "depends", r.Depends, []string{"so:ld-linux-x86-64.so.2", "so:libc.so.6", "texinfo"})
	equal(t, "provides", r.Provides, nil)
}

func TestStaticGoBinary(t *testing.T) {
	bin := binaries(t)
	tree := t.TempDir()
	copyFile(t, filepath.Join(bin, "static"), filepath.Join(tree, "usr/bin/static"), 0o755)
	copyFile(t, filepath.Join(bin, "static"), filepath.Join(tree, "usr/libexec/static"), 0o755)
	r := analyze(t, tree, Options{Version: "0.1-r3"})
	equal(t, "depends", r.Depends, nil)
	equal(t, "provides", r.Provides, []string{"cmd:static=0.1-r3"})
}

// A library in usr/lib and a program linking it: the program's need for
// the library is met by the package itself.
func TestSharedLibraryAndProgram(t *testing.T) {
	bin := binaries(t)
	tree := t.TempDir()
	copyFile(t, filepath.Join(bin, "libfoo.so.1.2.3"), filepath.Join(tree, "usr/lib/libfoo.so.1.2.3"), 0o755)
	symlink(t, "libfoo.so.1.2.3", filepath.Join(tree, "usr/lib/libfoo.so.1"))
	copyFile(t, filepath.Join(bin, "foo"), filepath.Join(tree, "usr/bin/foo"), 0o755)
	r := analyze(t, tree, Options{Version: "1.2.3-r1"})

	for _, want := range []string{"so:libc.so.6", "so:libfoo.so.1"} {
		if !slices.Contains(r.Depends, want) {
			t.Errorf("depends %q lacks %s", r.Depends, want)
		}
	}
	if !slices.ContainsFunc(r.Depends, func(d string) bool { return strings.HasPrefix(d, "so:ld-") }) {
		t.Errorf("depends %q has no dynamic loader (PT_INTERP)", r.Depends)
	}
	equal(t, "provides", r.Provides, []string{"cmd:foo=1.2.3-r1", "so-ver:libfoo.so.1=1.2.3-r1", "so:libfoo.so.1=1"})
	// The symlink libfoo.so.1 also names the library: "(and 1 more)".
	if got := r.Reasons["so:libfoo.so.1"]; !strings.HasPrefix(got, "DT_NEEDED of usr/bin/foo") {
		t.Errorf("reason of so:libfoo.so.1 = %q", got)
	}

	info := &apk.PackageInfo{Name: "foo", Version: "1.2.3-r1"}
	dropped := Merge(info, r)
	if slices.Contains(info.Depends, "so:libfoo.so.1") {
		t.Errorf("merged depends %q still need the package's own library", info.Depends)
	}
	if !slices.Contains(dropped, Dropped{"so:libfoo.so.1", "provided by the package itself (so:libfoo.so.1=1)"}) {
		t.Errorf("dropped = %q", dropped)
	}
}

// A library outside the library dirs (a plugin) is vendored: not
// provided, but it still satisfies the package's own needs.
func TestPluginIsVendored(t *testing.T) {
	bin := binaries(t)
	tree := t.TempDir()
	copyFile(t, filepath.Join(bin, "libfoo.so.1.2.3"), filepath.Join(tree, "usr/lib/foo/plugins/libfoo.so.1.2.3"), 0o644)
	copyFile(t, filepath.Join(bin, "libfoo.so.1.2.3"), filepath.Join(tree, "usr/lib/x86_64-linux-gnu/libfoo.so.1.2.3"), 0o644)
	copyFile(t, filepath.Join(bin, "foo"), filepath.Join(tree, "usr/bin/foo"), 0o755)
	r := analyze(t, tree, Options{Version: "1-r0"})
	equal(t, "provides", r.Provides, []string{"cmd:foo=1-r0"})
	equal(t, "vendored", r.Vendored, []string{"so-ver:libfoo.so.1=1-r0", "so:libfoo.so.1=1"})
	if !strings.Contains(r.Reasons["so:libfoo.so.1=1"], "(not in a library dir)") {
		t.Errorf("reason = %q", r.Reasons["so:libfoo.so.1=1"])
	}
	info := &apk.PackageInfo{Name: "foo", Version: "1-r0"}
	Merge(info, r)
	if slices.Contains(info.Depends, "so:libfoo.so.1") || !slices.Contains(info.Depends, "so:libc.so.6") {
		t.Errorf("merged depends = %q", info.Depends)
	}

	// An ld.so.conf.d entry makes the multiarch dir a library dir.
	writeFile(t, filepath.Join(tree, "etc/ld.so.conf.d/foo.conf"), []byte("# multiarch\n/usr/lib/x86_64-linux-gnu/\n"), 0o644)
	r = analyze(t, tree, Options{Version: "1-r0"})
	equal(t, "provides with ld.so.conf.d", r.Provides, []string{"cmd:foo=1-r0", "so-ver:libfoo.so.1=1-r0", "so:libfoo.so.1=1"})
}

// The -dev split: the development symlink lives in one tree, the library
// in its sibling; the -dev package then needs the library's soname.
func TestDevSymlinkNeedsSiblingLibrary(t *testing.T) {
	bin := binaries(t)
	lib, dev := t.TempDir(), t.TempDir()
	copyFile(t, filepath.Join(bin, "libfoo.so.1.2.3"), filepath.Join(lib, "usr/lib/libfoo.so.1.2.3"), 0o755)
	symlink(t, "libfoo.so.1.2.3", filepath.Join(dev, "usr/lib/libfoo.so"))
	writeFile(t, filepath.Join(dev, "usr/lib/pkgconfig/foo.pc"), []byte("Name: foo\nVersion: 1.2.3\nLibs: -lfoo\n"), 0o644)

	r := analyze(t, dev, Options{Name: "foo-dev", Version: "1.2.3-r0", Siblings: []string{lib}})
	equal(t, "depends", r.Depends, []string{"so:libfoo.so.1"})
	equal(t, "provides", r.Provides, []string{"pc:foo=1.2.3-r0"})

	r = analyze(t, dev, Options{Name: "foo-dev", Version: "1.2.3-r0"})
	equal(t, "depends without the sibling", r.Depends, nil)
}

func TestScripts(t *testing.T) {
	tree := t.TempDir()
	scripts := map[string]string{
		"usr/bin/a-sh":            "#!/bin/sh\necho\n",
		"usr/bin/b-python3":       "#!/usr/bin/env python3\nprint()\n",
		"usr/bin/c-bash":          "#!/bin/bash -e\necho\n",
		"usr/bin/d-perl":          "#!/usr/bin/env -S perl -w\n",
		"usr/bin/e-python312":     "#!/usr/bin/env python3.12\n",
		"usr/bin/f-env-bad":       "#!/usr/bin/env bash -x\n",
		"usr/local/bin/sub/g-lua": "#!/usr/bin/lua5.4\n",
		"bin/h-zsh":               "#!/bin/zsh\n", // not a script dir
		"usr/share/i-ruby":        "#!/usr/bin/ruby\n",
		"usr/bin/j-text":          "not a script\n",
		"usr/bin/k-crlf":          "#!/bin/dash\r\n",
	}
	for p, body := range scripts {
		writeFile(t, filepath.Join(tree, p), []byte(body), 0o755)
	}
	r := analyze(t, tree, Options{Version: "1-r0", NoProvides: true})
	equal(t, "depends", r.Depends, []string{"cmd:bash", "cmd:dash", "cmd:lua5.4", "cmd:perl", "cmd:python3.12"})

	r = analyze(t, tree, Options{Version: "1-r0", NoCommands: true})
	equal(t, "depends with no-commands", r.Depends, nil)
	equal(t, "provides with no-commands", r.Provides, nil)
}

func TestPkgConfigFiles(t *testing.T) {
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/foo.pc"), []byte(`prefix=/usr
libdir=${prefix}/lib
glib=glib-2.0

Name: foo
Version: 1.2.3
Requires: ${glib} >= 2.50, zlib
Requires.private: libcrypto>=3 # comment, not a module
Libs: -L${libdir} -lfoo
`), 0o644)
	writeFile(t, filepath.Join(tree, "usr/share/pkgconfig/foo-data.pc"), []byte("Name: foo-data\nVersion: 1\n"), 0o644)
	writeFile(t, filepath.Join(tree, "opt/foo/lib/pkgconfig/bundled.pc"), []byte("Name: b\nRequires: nothing-here\n"), 0o644)
	symlink(t, "foo.pc", filepath.Join(tree, "usr/lib/pkgconfig/foo-alias.pc"))
	r := analyze(t, tree, Options{Version: "1.2.3-r0"})
	equal(t, "depends", r.Depends, []string{"pc:glib-2.0", "pc:libcrypto", "pc:zlib"})
	equal(t, "provides", r.Provides, []string{"pc:foo-data=1.2.3-r0", "pc:foo=1.2.3-r0"})
	equal(t, "vendored", r.Vendored, []string{"pc:bundled=1.2.3-r0"})
	if got := r.Reasons["pc:zlib"]; got != "Requires of usr/lib/pkgconfig/foo.pc" {
		t.Errorf("reason = %q", got)
	}
}

func TestInterpreterPackages(t *testing.T) {
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "usr/lib/python3.12/site-packages/foo/__init__.py"), nil, 0o644)
	writeFile(t, filepath.Join(tree, "usr/lib/perl5/vendor_perl/Foo.pm"), nil, 0o644)
	writeFile(t, filepath.Join(tree, "usr/lib/ruby/gems/3.3.0/gems/foo-1.0/lib/foo.rb"), nil, 0o644)
	writeFile(t, filepath.Join(tree, "usr/share/man/man1/foo.1"), nil, 0o644)
	r := analyze(t, tree, Options{Name: "foo", Version: "1-r0"})
	equal(t, "depends", r.Depends, []string{"perl~5", "python-3.12-base", "ruby-3.3"})

	// A recipe that names an interpreter keeps its own choice.
	info := &apk.PackageInfo{Name: "foo", Version: "1-r0", Depends: []string{"python3", "ruby-3.3-base", "perl"}}
	dropped := Merge(info, r)
	equal(t, "merged depends", info.Depends, []string{"perl", "python3", "ruby-3.3-base"})
	if len(dropped) != 3 || dropped[0].Reason != "the recipe already depends on perl" {
		t.Errorf("dropped = %q", dropped)
	}
	// perl~5 is kept next to a recipe dependency that is not exactly "perl".
	info = &apk.PackageInfo{Name: "foo", Version: "1-r0", Depends: []string{"perl-base"}}
	Merge(info, r)
	equal(t, "merged depends", info.Depends, []string{"perl-base", "perl~5", "python-3.12-base", "ruby-3.3"})
}

func TestVersionedDependencies(t *testing.T) {
	tree := t.TempDir()
	extractAPK(t, helloAPK(t), tree)
	writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/hello.pc"), []byte("Name: hello\nRequires: zlib, openssl\n"), 0o644)
	env := []*apk.PackageInfo{
		{Name: "glibc", Version: "2.42-r5", Provides: []string{"so:libc.so.6=6", "so-ver:libc.so.6=2.42-r5",
			"so:ld-linux-x86-64.so.2=2", "so-ver:ld-linux-x86-64.so.2=2.42-r5"}},
		{Name: "zlib-dev", Version: "1.3.1-r6", Provides: []string{"pc:zlib"}},
		{Name: "openssl-dev", Version: "3.5.0-r1", Provides: []string{"pc:openssl=3.5.0-r1"}},
	}
	r := analyze(t, tree, Options{Version: "2.12.1-r0", Environment: env, NoProvides: true})
	equal(t, "depends", r.Depends, []string{
		"pc:openssl", "pc:openssl>=3.5.0-r1", "pc:zlib",
		"so-ver:ld-linux-x86-64.so.2>=2.42-r5", "so-ver:libc.so.6>=2.42-r5",
		"so:ld-linux-x86-64.so.2", "so:libc.so.6",
	})
	if got := r.Reasons["so-ver:libc.so.6>=2.42-r5"]; got != "DT_NEEDED of usr/bin/hello; built against glibc-2.42-r5" {
		t.Errorf("reason = %q", got)
	}
	r = analyze(t, tree, Options{Version: "2.12.1-r0", Environment: env, NoProvides: true, NoVersionedShlibDeps: true})
	equal(t, "depends with no-versioned-shlib-deps", r.Depends, []string{"pc:openssl", "pc:zlib", "so:ld-linux-x86-64.so.2", "so:libc.so.6"})
}

func TestNoDependsNoProvides(t *testing.T) {
	tree := t.TempDir()
	extractAPK(t, helloAPK(t), tree)
	r := analyze(t, tree, Options{Version: "2.12.1-r0", NoDepends: true})
	equal(t, "depends", r.Depends, nil)
	equal(t, "provides", r.Provides, []string{"cmd:hello=2.12.1-r0"})
	r = analyze(t, tree, Options{Version: "2.12.1-r0", NoProvides: true})
	equal(t, "provides", r.Provides, nil)
	if _, ok := r.Reasons["cmd:hello=2.12.1-r0"]; ok {
		t.Error("a dropped finding still has a reason")
	}
}

// Names that are not valid dependency tokens must never reach .PKGINFO.
func TestUnsafeNamesAreSkipped(t *testing.T) {
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "usr/bin/two words"), []byte("x"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/bin/a=b"), []byte("x"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/bin/ok"), []byte("#!/usr/bin/x>y\n"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/bad name.pc"), []byte("Requires: good, \x01bad\n"), 0o644)
	writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/fine.pc"), []byte("Requires: good, \x01bad\n"), 0o644)
	r := analyze(t, tree, Options{Version: "1-r0"})
	equal(t, "provides", r.Provides, []string{"cmd:ok=1-r0", "pc:fine=1-r0"})
	equal(t, "depends", r.Depends, []string{"pc:good"})
}

// Symlinks are followed inside the tree only.
func TestSymlinksStayInTree(t *testing.T) {
	outside := t.TempDir()
	extractAPK(t, helloAPK(t), outside)
	tree := t.TempDir()
	symlink(t, filepath.Join(outside, "usr/bin/hello"), filepath.Join(tree, "usr/lib/libescape.so.1"))
	symlink(t, "../../../../../../../../"+filepath.Join(outside, "usr/bin/hello"), filepath.Join(tree, "usr/lib/librel.so.1"))
	symlink(t, "loop.so", filepath.Join(tree, "usr/lib/loop.so"))
	symlink(t, "/usr/lib/missing.so.1", filepath.Join(tree, "usr/lib/dangling.so"))
	r := analyze(t, tree, Options{Version: "1-r0"})
	equal(t, "depends", r.Depends, nil)
	equal(t, "provides", r.Provides, nil)

	// An absolute link is read relative to the tree root.
	copyFile(t, filepath.Join(outside, "usr/bin/hello"), filepath.Join(tree, "usr/libexec/hello"), 0o644)
	symlink(t, "/usr/libexec/hello", filepath.Join(tree, "usr/lib/libabs.so.1"))
	r = analyze(t, tree, Options{Version: "1-r0"})
	equal(t, "depends", r.Depends, []string{"so:ld-linux-x86-64.so.2", "so:libc.so.6"})
}

func TestAnalyzeErrors(t *testing.T) {
	_, err := Analyze(context.Background(), t.TempDir(), Options{})
	if !errors.Is(err, ErrNoVersion) {
		t.Errorf("no version: err = %v", err)
	}
	if _, err := Analyze(context.Background(), t.TempDir(), Options{Version: "1..2"}); err == nil {
		t.Error("bad version: no error")
	}
	if _, err := Analyze(context.Background(), filepath.Join(t.TempDir(), "missing"), Options{Version: "1"}); err == nil {
		t.Error("missing tree: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "usr/bin/x"), nil, 0o755)
	if _, err := Analyze(ctx, tree, Options{Version: "1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

// The walk visits a directory's files before and after its subdirectories
// (usr/bin/a, usr/bin/m/..., usr/bin/z): each file is still read, through
// the descriptor of its own directory, and Analyze leaves no descriptor
// open. A FIFO among them is not opened.
func TestFilesAroundSubdirectories(t *testing.T) {
	bin := binaries(t)
	tree := t.TempDir()
	for _, p := range []string{"usr/bin/a", "usr/bin/m/inner", "usr/libexec/x/y/deep", "usr/libexec/x/w"} {
		copyFile(t, filepath.Join(bin, "static"), filepath.Join(tree, p), 0o755)
	}
	// The one dynamic program comes after the subdirectory m.
	copyFile(t, filepath.Join(bin, "foo"), filepath.Join(tree, "usr/bin/z"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(tree, "usr/bin/n-fifo"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := openFDs(t)
	r := analyze(t, tree, Options{Version: "1-r0"})
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after Analyze, %d before", after, before)
	}
	equal(t, "provides", r.Provides, []string{"cmd:a=1-r0", "cmd:z=1-r0"})
	if got := r.Reasons["so:libc.so.6"]; !strings.HasPrefix(got, "DT_NEEDED of usr/bin/z") {
		t.Errorf("reason of so:libc.so.6 = %q, want usr/bin/z's DT_NEEDED", got)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
