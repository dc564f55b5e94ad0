package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestSplitDev(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/include/foo.h":                 "h",
		"usr/include/foo/bar.h":             "h",
		"usr/lib/libfoo.so.1.2":             "elf",
		"usr/lib/libfoo.so.1":               "-> libfoo.so.1.2",
		"usr/lib/libfoo.so":                 "-> libfoo.so.1",
		"usr/lib/libfoo.a":                  "ar",
		"usr/lib/pkgconfig/foo.pc":          "pc",
		"usr/lib/cmake/Foo/FooConfig.cmake": "cmake",
		"usr/share/aclocal/foo.m4":          "m4",
		"usr/bin/foo-config":                "sh",
		"usr/bin/foo":                       "elf",
		"usr/share/doc/foo/README":          "doc",
		"lib/libbar.a":                      "ar",
		"opt/x/include/y.h":                 "h",
		"usr/lib/plugin.so":                 "not a symlink: stays",
	})
	s.mustRun("split/dev", "foo-dev", nil)
	wantTree(t, s.pkgdir("foo-dev"),
		"lib/libbar.a",
		"opt/x/include/y.h",
		"usr/bin/foo-config",
		"usr/include/foo.h",
		"usr/include/foo/bar.h",
		"usr/lib/cmake/Foo/FooConfig.cmake",
		"usr/lib/libfoo.a",
		"usr/lib/libfoo.so -> libfoo.so.1",
		"usr/lib/pkgconfig/foo.pc",
		"usr/share/aclocal/foo.m4",
	)
	wantTree(t, s.pkgdir("foo"),
		"usr/bin/foo",
		"usr/lib/libfoo.so.1 -> libfoo.so.1.2",
		"usr/lib/libfoo.so.1.2",
		"usr/lib/plugin.so",
		"usr/share/doc/foo/README",
	)
	if exists(filepath.Join(s.pkgdir("foo"), "lib")) {
		t.Error("emptied lib/ was left in the main package")
	}
}

func TestSplitFromItself(t *testing.T) {
	for _, name := range []string{"split/dev", "split/static", "split/lib", "split/manpages",
		"split/infodir", "split/locales", "split/alldocs", "split/bin", "split/debug"} {
		t.Run(name, func(t *testing.T) {
			s := newSandbox(t, "foo")
			write(t, s.pkgdir("foo"), map[string]string{"usr/bin/foo": "x"})
			_, err := s.run(name, "foo", nil)
			if err == nil || !strings.Contains(err.Error(), "cannot split files from itself") {
				t.Fatalf("splitting the main package into itself: %v", err)
			}
		})
	}
}

func TestSplitPackageInput(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo-libs"), map[string]string{
		"usr/include/libs.h": "h",
		"usr/lib/libs.so":    "-> libs.so.1",
		"usr/lib/libs.so.1":  "elf",
	})
	write(t, s.pkgdir("foo"), map[string]string{"usr/include/main.h": "h"})
	s.mustRun("split/dev", "foo-libs-dev", map[string]string{"package": "foo-libs"})
	wantTree(t, s.pkgdir("foo-libs-dev"), "usr/include/libs.h", "usr/lib/libs.so -> libs.so.1")
	wantTree(t, s.pkgdir("foo-libs"), "usr/lib/libs.so.1")
	wantTree(t, s.pkgdir("foo"), "usr/include/main.h")
}

func TestSplitStatic(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/lib/libfoo.a":     "ar",
		"usr/lib/sub/libsub.a": "ar",
		"lib/libbase.a":        "ar",
		"usr/lib/libfoo.so.1":  "elf",
		"usr/include/foo.h":    "h",
	})
	s.mustRun("split/static", "foo-static", nil)
	wantTree(t, s.pkgdir("foo-static"), "lib/libbase.a", "usr/lib/libfoo.a", "usr/lib/sub/libsub.a")
	wantTree(t, s.pkgdir("foo"), "usr/include/foo.h", "usr/lib/libfoo.so.1")
}

func TestSplitLib(t *testing.T) {
	files := map[string]string{
		"usr/lib/libssl.so.3":     "elf",
		"usr/lib/libcrypto.so.3":  "elf",
		"usr/lib/libcrypto.so":    "-> libcrypto.so.3",
		"usr/lib/libother.so.1":   "-> libother.so.1.0",
		"usr/lib/libother.so.1.0": "elf",
		"usr/lib64/libssl.so.3":   "elf",
		"usr/lib/engines/x.so.1":  "elf, not at the top",
		"lib/libc.so.6":           "elf",
	}
	t.Run("all", func(t *testing.T) {
		s := newSandbox(t, "foo")
		write(t, s.pkgdir("foo"), files)
		s.mustRun("split/lib", "foo-libs", nil)
		wantTree(t, s.pkgdir("foo-libs"),
			"lib/libc.so.6",
			"usr/lib/libcrypto.so.3",
			"usr/lib/libother.so.1 -> libother.so.1.0",
			"usr/lib/libother.so.1.0",
			"usr/lib/libssl.so.3",
		)
	})
	t.Run("patterns and paths", func(t *testing.T) {
		s := newSandbox(t, "foo")
		write(t, s.pkgdir("foo"), files)
		s.mustRun("split/lib", "libssl3", map[string]string{
			"patterns": "ssl\ncrypto\n",
			"paths":    "usr/lib64\nopt/none\n",
		})
		wantTree(t, s.pkgdir("libssl3"),
			"usr/lib/libcrypto.so.3",
			"usr/lib/libssl.so.3",
			"usr/lib64/libssl.so.3",
		)
		if exists(filepath.Join(s.pkgdir("foo"), "usr/lib64")) {
			t.Error("emptied usr/lib64 was left behind")
		}
		if !exists(filepath.Join(s.pkgdir("foo"), "usr/lib/libcrypto.so")) {
			t.Error("the libcrypto.so link was moved; only *.so.* files belong to split/lib")
		}
	})
}

func TestSplitManpages(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/share/man/man1/foo.1":     "man",
		"usr/man/man1/bar.1":           "man",
		"usr/local/share/man/man8/d.8": "man",
		"usr/bin/foo":                  "elf",
	})
	s.mustRun("split/manpages", "foo-doc", nil)
	wantTree(t, s.pkgdir("foo-doc"),
		"usr/share/man/man1/bar.1",
		"usr/share/man/man1/foo.1",
		"usr/share/man/man8/d.8",
	)
	wantTree(t, s.pkgdir("foo"), "usr/bin/foo")
	for _, gone := range []string{"usr/share", "usr/man", "usr/local"} {
		if exists(filepath.Join(s.pkgdir("foo"), gone)) {
			t.Errorf("emptied %s was left behind", gone)
		}
	}
	if !exists(s.pkgdir("foo")) {
		t.Error("the main package directory itself was removed")
	}
}

func TestSplitManpagesEmptiesPackage(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{"usr/share/man/man1/foo.1": "man"})
	s.mustRun("split/manpages", "foo-doc", nil)
	if !exists(s.pkgdir("foo")) {
		t.Error("moving the only files out removed the main package directory")
	}
}

func TestSplitInfodirAndLocales(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/share/info/foo.info":                "info",
		"usr/share/info/dir":                     "index",
		"usr/share/locale/de/LC_MESSAGES/foo.mo": "mo",
		"usr/bin/foo":                            "elf",
	})
	s.mustRun("split/infodir", "foo-info", nil)
	s.mustRun("split/locales", "foo-lang", nil)
	wantTree(t, s.pkgdir("foo-info"), "usr/share/info/foo.info")
	wantTree(t, s.pkgdir("foo-lang"), "usr/share/locale/de/LC_MESSAGES/foo.mo")
	wantTree(t, s.pkgdir("foo"), "usr/bin/foo")
}

func TestSplitAlldocs(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/share/info/foo.info":      "info",
		"usr/share/info/dir":           "index",
		"usr/share/man/man1/foo.1":     "man",
		"usr/man/man1/old.1":           "man",
		"usr/share/doc/foo/README":     "doc",
		"usr/local/share/doc/foo/NEWS": "doc",
		"usr/share/foo/data":           "stays",
	})
	s.mustRun("split/alldocs", "foo-doc", nil)
	wantTree(t, s.pkgdir("foo-doc"),
		"usr/share/doc/foo/NEWS",
		"usr/share/doc/foo/README",
		"usr/share/info/foo.info",
		"usr/share/man/man1/foo.1",
		"usr/share/man/man1/old.1",
	)
	wantTree(t, s.pkgdir("foo"), "usr/share/foo/data")
}

func TestSplitBin(t *testing.T) {
	t.Run("from NAME for NAME-bin", func(t *testing.T) {
		s := newSandbox(t, "foo")
		write(t, s.pkgdir("foo"), map[string]string{"usr/bin/main": "elf"})
		write(t, s.pkgdir("libfoo"), map[string]string{
			"usr/bin/tool":        "elf",
			"usr/bin/.hidden":     "sh",
			"usr/lib/libfoo.so.1": "elf",
		})
		s.mustRun("split/bin", "libfoo-bin", nil)
		wantTree(t, s.pkgdir("libfoo-bin"), "usr/bin/.hidden", "usr/bin/tool")
		wantTree(t, s.pkgdir("libfoo"), "usr/lib/libfoo.so.1")
		wantTree(t, s.pkgdir("foo"), "usr/bin/main")
		if exists(filepath.Join(s.pkgdir("libfoo"), "usr/bin")) {
			t.Error("emptied usr/bin was left behind")
		}
	})
	t.Run("from the main package", func(t *testing.T) {
		s := newSandbox(t, "foo")
		write(t, s.pkgdir("foo"), map[string]string{"usr/bin/main": "elf"})
		s.mustRun("split/bin", "foo-tools", nil)
		wantTree(t, s.pkgdir("foo-tools"), "usr/bin/main")
	})
	t.Run("no usr/bin", func(t *testing.T) {
		s := newSandbox(t, "foo")
		write(t, s.pkgdir("foo"), map[string]string{"usr/lib/x": "x"})
		if _, err := s.run("split/bin", "foo-bin", nil); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Fatalf("split/bin without usr/bin: %v", err)
		}
	})
}

// TestSplitDebug uses a stand-in for scanelf (which lists ELF files by
// type) when the host has none, and a real shared object.
func TestSplitDebug(t *testing.T) {
	s := newSandbox(t, "foo")
	s.tool("objcopy")
	lib := fixture.NeedFile(t, "/usr/lib/*-linux-gnu/libz.so.1.*", "zlib1g")
	data, err := os.ReadFile(lib)
	if err != nil {
		t.Fatal(err)
	}
	fake := "#!/bin/sh\n" +
		"[ \"$1\" = -Ry ] || exit 2\n" +
		"find \"$2\" -type f | while read -r f; do\n" +
		"  case \"$f\" in *.so*) echo \"ET_DYN $f\" ;; *) echo \"ET_EXEC $f\" ;; esac\n" +
		"done\n"
	if err := os.WriteFile(filepath.Join(s.extra, "scanelf"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	main := s.pkgdir("foo")
	write(t, main, map[string]string{
		"usr/lib/libz.so.1.2": string(data),
		"usr/bin/script":      "#!/bin/sh",
	})
	if err := os.Link(filepath.Join(main, "usr/lib/libz.so.1.2"), filepath.Join(main, "usr/lib/libz-hard.so.1")); err != nil {
		t.Fatal(err)
	}
	s.mustRun("split/debug", "foo-dbg", nil)

	dbg := s.pkgdir("foo-dbg")
	debugFiles := tree(t, dbg)
	if len(debugFiles) != 1 || !strings.HasPrefix(debugFiles[0], "usr/lib/debug/usr/lib/libz") ||
		!strings.HasSuffix(debugFiles[0], ".debug") {
		t.Errorf("debug files = %q, want one usr/lib/debug/usr/lib/libz*.debug (hard links once)", debugFiles)
	}
	stripped, err := os.ReadFile(filepath.Join(main, "usr/lib/libz.so.1.2"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(stripped), ".gnu_debuglink") {
		t.Error("the shared object has no .gnu_debuglink section after split/debug")
	}
	if exists(filepath.Join(main, ".dbg-tmp")) {
		t.Error("a temporary directory was left in the package")
	}
	wantTree(t, main, "usr/bin/script", "usr/lib/libz-hard.so.1", "usr/lib/libz.so.1.2")
}
