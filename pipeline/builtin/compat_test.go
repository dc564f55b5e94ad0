package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Inputs melange's pipelines have that pestle's lacked: each changes what
// runs as melange's does.

func TestAutoconfTargets(t *testing.T) {
	s := newSandbox(t, "foo")
	s.tool("make")
	write(t, s.ws, map[string]string{"Makefile": "" +
		"all:\n\techo all > all.txt\n" +
		"docs:\n\techo docs > docs.txt\n" +
		"tools:\n\techo tools > tools.txt\n" +
		"install-lib:\n\tmkdir -p $(DESTDIR)/usr/lib && echo lib > $(DESTDIR)/usr/lib/lib.txt\n" +
		"install-doc:\n\tmkdir -p $(DESTDIR)/usr/share && echo doc > $(DESTDIR)/usr/share/doc.txt\n",
	})
	s.mustRun("autoconf/make", "foo", map[string]string{"targets": "docs tools"})
	if exists(filepath.Join(s.ws, "all.txt")) || !exists(filepath.Join(s.ws, "docs.txt")) || !exists(filepath.Join(s.ws, "tools.txt")) {
		t.Error("autoconf/make did not build exactly the targets given")
	}
	s.mustRun("autoconf/make-install", "foo", map[string]string{"targets": "install-lib install-doc"})
	wantTree(t, s.pkgdir("foo"), "usr/lib/lib.txt", "usr/share/doc.txt")
}

func TestSplitDevPrefix(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.pkgdir("foo"), map[string]string{
		"opt/foo/include/foo.h":        "h",
		"opt/foo/lib/pkgconfig/foo.pc": "pc",
		"opt/foo/lib/libfoo.so":        "-> libfoo.so.1",
		"opt/foo/lib/libfoo.so.1":      "elf",
		"opt/foo/lib/libfoo.a":         "ar",
		"opt/foo/bin/foo":              "elf",
	})
	s.mustRun("split/dev", "foo-dev", map[string]string{"prefix": "/opt/foo"})
	wantTree(t, s.pkgdir("foo-dev"),
		"opt/foo/include/foo.h",
		"opt/foo/lib/libfoo.a",
		"opt/foo/lib/libfoo.so -> libfoo.so.1",
		"opt/foo/lib/pkgconfig/foo.pc",
	)
	wantTree(t, s.pkgdir("foo"), "opt/foo/bin/foo", "opt/foo/lib/libfoo.so.1")
}

func TestPythonImportVenv(t *testing.T) {
	s := newSandbox(t, "foo")
	// A stand-in interpreter in the venv: it records how it was called.
	write(t, s.ws, map[string]string{"venv/bin/python": "#!/bin/sh\necho \"$0 $*\" >> " + s.ws + "/calls.txt\n"})
	s.mustRun("python/import", "foo", map[string]string{"venv": s.ws + "/venv", "import": "json"})
	got := readLines(t, filepath.Join(s.ws, "calls.txt"))
	if len(got) != 1 || got[0] != s.ws+"/venv/bin/python -c import json" {
		t.Errorf("venv python called as %q", got)
	}
}

func TestPeclInstall(t *testing.T) {
	s := newSandbox(t, "php-foo")
	s.tool("make")
	write(t, s.ws, map[string]string{"Makefile": "install:\n\tmkdir -p $(INSTALL_ROOT)/usr/lib/php/modules && echo so > $(INSTALL_ROOT)/usr/lib/php/modules/foo.so\n"})
	s.mustRun("pecl/install", "php-foo", map[string]string{"extension": "foo"})
	wantTree(t, s.pkgdir("php-foo"), "etc/php/conf.d/foo.ini", "usr/lib/php/modules/foo.so")
	data, err := os.ReadFile(filepath.Join(s.pkgdir("php-foo"), "etc/php/conf.d/foo.ini"))
	if err != nil || string(data) != "extension=foo\n" {
		t.Errorf("foo.ini = %q, %v", data, err)
	}
}

func TestPeclPhpize(t *testing.T) {
	s := newSandbox(t, "php-foo")
	write(t, s.extra, map[string]string{"phpize": "#!/bin/sh\nprintf '" + strings.ReplaceAll(argsScript, "\n", "\\n") + "' > configure\nchmod +x configure\n"})
	s.mustRun("pecl/phpize", "php-foo", map[string]string{"php-config": "php-config8.3"})
	got := readLines(t, filepath.Join(s.ws, "args.txt"))
	if strings.Join(got, " ") != "--prefix=/usr --with-php-config=php-config8.3" {
		t.Errorf("configure got %q", got)
	}
}
