package sca

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// greetTree lays out a package whose dependencies are all found by the
// scan: the real glibc binary from the fixture, a library and a program
// built with gcc (without libc and with a fixed loader path, so the
// findings are the same on every host), scripts, a .pc file and a Python
// module.
func greetTree(t testing.TB) string {
	bin := binaries(t)
	tree := t.TempDir()
	hello := t.TempDir()
	extractAPK(t, helloAPK(t), hello)
	copyFile(t, filepath.Join(hello, "usr/bin/hello"), filepath.Join(tree, "usr/bin/hello"), 0o755)
	copyFile(t, filepath.Join(bin, "libgreet.so.1.0.0"), filepath.Join(tree, "usr/lib/libgreet.so.1.0.0"), 0o755)
	symlink(t, "libgreet.so.1.0.0", filepath.Join(tree, "usr/lib/libgreet.so.1"))
	copyFile(t, filepath.Join(bin, "greet"), filepath.Join(tree, "usr/bin/greet"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/bin/greet-wrapper"), []byte("#!/bin/bash\nexec greet \"$@\"\n"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/bin/greet-sh"), []byte("#!/bin/sh\nexec greet\n"), 0o755)
	writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/greet.pc"), []byte(
		"prefix=/usr\nlibdir=${prefix}/lib\n\nName: greet\nVersion: 1.0.0\n"+
			"Requires: zlib >= 1.2\nRequires.private: libcrypto\nLibs: -L${libdir} -lgreet\n"), 0o644)
	writeFile(t, filepath.Join(tree, "usr/lib/python3.12/site-packages/greet.py"), []byte("print('hi')\n"), 0o644)
	writeFile(t, filepath.Join(tree, "usr/share/doc/greet/README"), []byte("greet\n"), 0o644)
	return tree
}

func TestGoldenPKGINFO(t *testing.T) {
	tree := greetTree(t)
	r := analyze(t, tree, Options{Name: "greet", Version: "1.0.0-r2"})
	info := &apk.PackageInfo{
		Name: "greet", Version: "1.0.0-r2", Arch: "x86_64", Size: 4096, Origin: "greet",
		Description: "greets, with every dependency found by the scan", License: "MIT",
		Depends:  []string{"busybox"},
		Provides: []string{"greet-compat=1.0.0"},
	}
	dropped := Merge(info, r)
	if len(dropped) != 1 || dropped[0].Dep != "so:libgreet.so.1" {
		t.Errorf("dropped = %q, want so:libgreet.so.1 only", dropped)
	}
	got := info.MarshalPKGINFO()

	fixture.Golden(t, filepath.Join("testdata", "golden", "greet.PKGINFO"), got, *update)

	back, err := apk.ParsePKGINFO(got)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "depends after a round trip", back.Depends, info.Depends)
	equal(t, "provides after a round trip", back.Provides, info.Provides)
}
