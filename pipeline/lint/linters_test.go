package lint

import (
	"bytes"
	"context"
	"debug/elf"
	"slices"
	"strings"
	"testing"
)

// TestLinters runs each linter alone over a tree that must fail it (with
// exactly the paths listed) and a tree that must pass it.
func TestLinters(t *testing.T) {
	big := bytes.Repeat([]byte("pestle "), 300)   // 2100 bytes
	other := bytes.Repeat([]byte("mortar "), 300) // same size, other content
	cases := []struct {
		linter   string
		opts     Options // for the failing tree
		bad      []node
		want     []string
		goodOpts Options
		good     []node
	}{
		{linter: "dev",
			bad: []node{file("dev/null"), symlink("dev/fd", "/proc/self/fd")}, want: []string{"dev/fd", "dev/null"},
			good: []node{dir("dev"), file("usr/share/dev/notes")}},
		{linter: "varempty",
			bad: []node{file("var/empty/.keep")}, want: []string{"var/empty/.keep"},
			good: []node{dir("var/empty"), file("var/emptiness")}},
		{linter: "tempdir",
			bad:  []node{file("tmp/a"), file("var/tmp/b"), dir("run/d"), file("var/run/x.pid")},
			want: []string{"run/d", "tmp/a", "var/run/x.pid", "var/tmp/b"},
			good: []node{dir("tmp"), dir("var/tmp"), dir("run"), file("usr/lib/tmpfiles.d/x.conf"), file("usr/share/tmp/x")}},
		{linter: "infodir",
			bad: []node{file("usr/share/info/dir")}, want: []string{"usr/share/info/dir"},
			good: []node{file("usr/share/info/hello.info"), file("usr/share/info/dirt.info")}},
		{linter: "libtool/la-files",
			bad: []node{file("usr/lib/libz.la"), file("usr/lib/gconv/x.la")}, want: []string{"usr/lib/gconv/x.la", "usr/lib/libz.la"},
			good: []node{file("usr/lib/libz.so.1"), file("usr/lib/libz.lab"), dir("usr/lib/odd.la")}},
		{linter: "setuidgid",
			bad:  []node{fileMode("usr/bin/su", 0o4755), fileMode("usr/bin/wall", 0o2755), fileMode("usr/bin/st", 0o1644)},
			want: []string{"usr/bin/st", "usr/bin/su", "usr/bin/wall"},
			good: []node{fileMode("usr/bin/ls", 0o755), {path: "var/mail", dir: true, mode: 0o2775}}},
		{linter: "worldwrite",
			bad:  []node{fileMode("etc/x.conf", 0o666), fileMode("usr/bin/y", 0o777)},
			want: []string{"etc/x.conf", "usr/bin/y"},
			good: []node{{path: "var/cache/x", dir: true, mode: 0o777}, symlink("usr/bin/z", "y"), fileMode("etc/y", 0o664)}},
		{linter: "usrmerge",
			bad:  []node{file("bin/sh"), file("lib64"), file("usr/sbin/nologin"), symlink("sbin/init", "../usr/bin/init")},
			want: []string{"bin", "bin/sh", "lib64", "sbin", "sbin/init", "usr/sbin", "usr/sbin/nologin"},
			good: []node{symlink("bin", "usr/bin"), file("usr/bin/sh"), symlink("lib", "usr/lib"), file("usr/lib/libc.so"), file("var/lib/x")}},
		{linter: "opt", opts: Options{PackageName: "foo"},
			bad: []node{file("opt/foo/bin/foo")}, want: []string{"opt/foo/bin/foo"},
			goodOpts: Options{PackageName: "foo-compat"}, good: []node{file("opt/foo/bin/foo"), file("usr/bin/opt")}},
		{linter: "srv", opts: Options{PackageName: "web"},
			bad: []node{file("srv/www/index.html")}, want: []string{"srv/www/index.html"},
			goodOpts: Options{PackageName: "web-compat"}, good: []node{file("srv/www/index.html")}},
		{linter: "usrlocal", opts: Options{PackageName: "helm"},
			bad: []node{file("usr/local/bin/helm")}, want: []string{"usr/local/bin/helm"},
			goodOpts: Options{PackageName: "helm-compat"}, good: []node{file("usr/local/bin/helm"), dir("usr/local/share")}},
		{linter: "object",
			bad: []node{file("usr/lib/foo.o")}, want: []string{"usr/lib/foo.o"},
			good: []node{file("usr/lib/foo.so"), file("usr/lib/foo.od")}},
		{linter: "staticarchive", opts: Options{PackageName: "zlib"},
			bad: []node{file("usr/lib/libz.a")}, want: []string{"usr/lib/libz.a"},
			goodOpts: Options{PackageName: "zlib-static"}, good: []node{file("usr/lib/libz.a")}},
		{linter: "dll", opts: Options{PackageName: "dotnet"},
			bad: []node{file("usr/lib/dotnet/x.dll")}, want: []string{"usr/lib/dotnet/x.dll"},
			goodOpts: Options{PackageName: "dotnet-dev"}, good: []node{file("usr/lib/dotnet/x.dll")}},
		{linter: "dylib", opts: Options{PackageName: "lib"},
			bad: []node{file("usr/lib/libx.dylib")}, want: []string{"usr/lib/libx.dylib"},
			goodOpts: Options{PackageName: "lib-dev"}, good: []node{file("usr/lib/libx.dylib")}},
		{linter: "cudaruntimelib",
			bad:  []node{file("usr/lib/libcuda.so.1"), file("usr/lib/libnvidia-ml.so")},
			want: []string{"usr/lib/libcuda.so.1", "usr/lib/libnvidia-ml.so"},
			good: []node{file("usr/lib/libcudart.so.12"), file("usr/lib/stubs/libcuda.so")}},
		{linter: "documentation", opts: Options{PackageName: "foo"},
			bad:      []node{file("usr/share/doc/foo/README"), file("usr/share/doc/foo/guide.md"), file("usr/share/foo/CREDITS")},
			want:     []string{"usr/share/doc/foo/README", "usr/share/doc/foo/guide.md", "usr/share/foo/CREDITS"},
			goodOpts: Options{PackageName: "foo-doc"}, good: []node{file("usr/share/doc/foo/README")}},
		{linter: "maninfo", opts: Options{PackageName: "hello"},
			bad:  []node{file("usr/share/man/man1/hello.1.gz"), file("usr/share/info/hello.info-2.gz"), file("usr/man/man8/x.8"), file("usr/share/man/de/man1/hello.1")},
			want: []string{"usr/man/man8/x.8", "usr/share/info/hello.info-2.gz", "usr/share/man/de/man1/hello.1", "usr/share/man/man1/hello.1.gz"},
			good: []node{file("usr/share/man/README"), file("usr/share/info/notes.txt"), file("usr/share/doc/hello/hello.1")}},
		{linter: "sbom",
			bad: []node{file("var/lib/db/sbom/extra.txt")}, want: []string{"var/lib/db/sbom/extra.txt"},
			good: []node{file("var/lib/db/sbom/foo-1-r0.spdx.json"), file("var/lib/db/other.txt")}},
		{linter: "pkgconf",
			bad: []node{file("usr/lib/pkgconfig/zlib.pc"), file("usr/share/pkgconfig/x.pc")}, want: []string{"usr/lib/pkgconfig/zlib.pc", "usr/share/pkgconfig/x.pc"},
			goodOpts: Options{Tests: []string{"test/pkgconf"}}, good: []node{file("usr/lib/pkgconfig/zlib.pc")}},
		{linter: "lddcheck",
			bad: []node{file("usr/lib/libz.so.1.3"), symlink("usr/lib/libz.so", "libz.so.1.3")}, want: []string{"usr/lib/libz.so", "usr/lib/libz.so.1.3"},
			goodOpts: Options{Tests: []string{"test/tw/ldd-check"}}, good: []node{file("usr/lib/libz.so.1.3")}},
		{linter: "empty",
			bad: []node{dir("usr/share"), file("var/lib/db/sbom/x-1-r0.spdx.json")}, want: []string{""},
			good: []node{symlink("usr/bin/x", "y")}},
		{linter: "nonlinux",
			bad:  []node{file("usr/share/foo/darwin/x"), file("usr/lib/node/win32.node"), file("usr/lib/foo/MacOS-helper")},
			want: []string{"usr/lib/foo/MacOS-helper", "usr/lib/node/win32.node", "usr/share/foo/darwin/x"},
			good: []node{file("usr/bin/x"), dir("usr/share/windows")}},
		{linter: "unsupportedarch",
			bad:  []node{file("usr/lib/s390x-linux-gnu/libc.so"), file("usr/share/foo/bar-ppc64le.bin"), file("usr/lib/riscv64/x")},
			want: []string{"usr/lib/riscv64/x", "usr/lib/s390x-linux-gnu/libc.so", "usr/share/foo/bar-ppc64le.bin"},
			good: []node{file("usr/share/foo/bar-ppc64le-x86_64.bin"), file("usr/lib/x86_64-linux-gnu/y"), file("usr/share/mipsology/z"), file("usr/share/foo/sparc")}},
		{linter: "binaryarch", opts: Options{Arch: "x86_64"},
			bad: []node{
				content("usr/bin/a", fakeELF(elf.EM_386), 0o755),
				content("usr/bin/b", fakeELF(elf.EM_AARCH64), 0o755),
				content("usr/lib/libc.so.6", fakeELF(elf.EM_S390), 0o644)},
			want:     []string{"usr/bin/a", "usr/bin/b", "usr/lib/libc.so.6"},
			goodOpts: Options{Arch: "aarch64"},
			good: []node{
				content("usr/bin/b", fakeELF(elf.EM_AARCH64), 0o755),
				content("usr/share/firmware/x", fakeELF(elf.EM_386), 0o644), // neither executable nor a library
				content("var/lib/db/sbom/y.so", fakeELF(elf.EM_386), 0o755)}},
		{linter: "strip",
			bad: []node{
				content("usr/bin/a", fakeELF(elf.EM_X86_64, ".text", ".debug_info", ".debug_line"), 0o755),
				content("usr/lib/libx.so.1", fakeELF(elf.EM_X86_64, ".text", ".zdebug_str"), 0o644),
				content("usr/bin/old", fakeELF(elf.EM_X86_64, ".debug"), 0o755)},
			want: []string{"usr/bin/a", "usr/bin/old", "usr/lib/libx.so.1"},
			good: []node{
				content("usr/bin/a", fakeELF(elf.EM_X86_64, ".text", ".symtab"), 0o755),
				content("usr/bin/script", []byte("#!/bin/sh\necho .debug_info\n"), 0o755),
				content("usr/share/x/data", fakeELF(elf.EM_X86_64, ".debug_info"), 0o644),
				content("usr/bin/broken", []byte("\x7fELF but not really an ELF file"), 0o755)}},
		{linter: "duplicate",
			bad: []node{
				content("usr/share/a/data.bin", big, 0o644),
				content("usr/share/b/data.bin", big, 0o644),
				content("usr/share/c/data.bin", big, 0o644),
				content("usr/share/d/data.bin", other, 0o644)},
			want: []string{"usr/share/b/data.bin", "usr/share/c/data.bin"},
			good: []node{
				content("usr/share/a/data.bin", big, 0o644),
				content("usr/share/b/data.bin", other, 0o644),
				content("usr/share/c/other.bin", big, 0o644),
				hardlink("usr/share/e/data.bin", "usr/share/a/data.bin"),
				content("usr/share/a/LICENSE", big, 0o644),
				content("usr/share/b/LICENSE", big, 0o644),
				content("usr/share/a/small", []byte("tiny"), 0o644),
				content("usr/share/b/small", []byte("tiny"), 0o644)}},
		{linter: "python/docs",
			bad:  []node{file("usr/lib/python3.12/site-packages/docs/index.rst")},
			want: []string{"usr/lib/python3.12/site-packages/docs"},
			good: []node{file("usr/lib/python3.12/site-packages/foo/docs/index.rst"), file("usr/lib/python3.12/docs/x")}},
		{linter: "python/test",
			bad:  []node{file("usr/lib/python3.12/site-packages/tests/test_x.py"), file("usr/lib/python3.11/site-packages/test/t.py")},
			want: []string{"usr/lib/python3.11/site-packages/test", "usr/lib/python3.12/site-packages/tests"},
			good: []node{file("usr/lib/python3.12/site-packages/foo/tests/test_x.py")}},
		{linter: "python/multiple",
			bad: []node{
				file("usr/lib/python3.12/site-packages/foo/__init__.py"), file("usr/lib/python3.12/site-packages/bar.py"),
				file("usr/lib/python3.11/site-packages/baz/__init__.py")},
			want: []string{"usr/lib", "usr/lib/python3.12/site-packages"},
			good: []node{
				file("usr/lib/python3.12/site-packages/foo/__init__.py"),
				file("usr/lib/python3.12/site-packages/foo.cpython-312-x86_64-linux-gnu.so"),
				file("usr/lib/python3.12/site-packages/foo-1.0.dist-info/METADATA"),
				file("usr/lib/python3.12/site-packages/_foo_native.so"),
				file("usr/lib/python3.12/site-packages/__pycache__/x.pyc"),
				file("usr/lib/python3.12/site-packages/foo.pth"),
				file("usr/lib/python3.12/site-packages/tests/t.py")}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.linter] = true
		t.Run(strings.ReplaceAll(c.linter, "/", "_"), func(t *testing.T) {
			only := func(o Options) Options {
				o.Require, o.Warn = []string{c.linter}, []string{}
				return o
			}
			got, err := Run(context.Background(), mkTree(t, c.bad...), only(c.opts))
			if err != nil {
				t.Fatal(err)
			}
			if paths := findingPaths(got); !slices.Equal(paths, c.want) {
				t.Errorf("failing tree: findings at %q, want %q\n%v", paths, c.want, got)
			}
			for _, f := range got {
				if f.Linter != c.linter || !f.Required || f.Message == "" || f.Fix != Explain(c.linter) {
					t.Errorf("malformed finding %+v", f)
				}
			}
			got, err = Run(context.Background(), mkTree(t, c.good...), only(c.goodOpts))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 0 {
				t.Errorf("passing tree has findings: %v", got)
			}
		})
	}
	for _, n := range Names() {
		if !covered[n] {
			t.Errorf("linter %s has no test case", n)
		}
	}
}
