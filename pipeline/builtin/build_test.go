package builtin

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// argsScript is a stand-in for ./configure or a build tool: it records its
// arguments, one per line, in args.txt in its working directory.
const argsScript = "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > args.txt\n"

func readLines(t *testing.T, p string) []string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestAutoconfConfigure(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.ws, map[string]string{"sub/configure": argsScript})
	// A multi-line opts keeps its shell quoting and line continuations.
	s.mustRun("autoconf/configure", "foo", map[string]string{
		"dir":  "sub",
		"opts": "--enable-foo \\\n--with-bar=\"a b\" \\\nCFLAGS='-O2 -g'\n",
	})
	got := readLines(t, filepath.Join(s.ws, "sub/args.txt"))
	want := []string{
		"--host=x86_64-pc-linux-gnu", "--build=x86_64-pc-linux-gnu",
		"--prefix=/usr", "--sysconfdir=/etc", "--libdir=/usr/lib",
		"--mandir=/usr/share/man", "--infodir=/usr/share/info", "--localstatedir=/var",
		"--enable-foo", "--with-bar=a b", "CFLAGS=-O2 -g",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("configure got\n %q\nwant\n %q", got, want)
	}
}

func TestAutoconfConfigureRunsAutoreconf(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.extra, map[string]string{
		"autoreconf": "#!/bin/sh\necho \"$*\" > autoreconf.txt\nprintf '#!/bin/sh\\necho ran > ran.txt\\n' > configure\nchmod +x configure\n",
	})
	write(t, s.ws, map[string]string{"configure.ac": "AC_INIT"})
	s.mustRun("autoconf/configure", "foo", map[string]string{"host": "aarch64-unknown-linux-gnu"})
	if got := readLines(t, filepath.Join(s.ws, "autoreconf.txt")); got[0] != "-vfi" {
		t.Errorf("autoreconf args = %q, want -vfi", got)
	}
	if !exists(filepath.Join(s.ws, "ran.txt")) {
		t.Error("the generated configure did not run")
	}
}

func TestAutoconfMakeAndInstall(t *testing.T) {
	s := newSandbox(t, "foo")
	s.tool("make")
	write(t, s.ws, map[string]string{"src/Makefile": "" +
		"all:\n\techo \"V=$(V) X=$(X)\" > built.txt\n" +
		"install:\n" +
		"\tmkdir -p $(DESTDIR)/usr/lib\n" +
		"\techo \"V=$(V) X=$(X)\" > $(DESTDIR)/usr/lib/libx.so.1\n" +
		"\ttouch $(DESTDIR)/usr/lib/libx.la\n" +
		"\tln -s missing.la $(DESTDIR)/usr/lib/liby.la\n",
	})
	s.mustRun("autoconf/make", "foo", map[string]string{"dir": "src", "opts": "X=1"})
	if got := readLines(t, filepath.Join(s.ws, "src/built.txt")); got[0] != "V=1 X=1" {
		t.Errorf("make: %q, want V=1 X=1", got)
	}
	out := s.mustRun("autoconf/make-install", "foo", map[string]string{"dir": "src", "opts": "X=2"})
	wantTree(t, s.pkgdir("foo"), "usr/lib/libx.so.1")
	if got := readLines(t, filepath.Join(s.pkgdir("foo"), "usr/lib/libx.so.1")); got[0] != "V=1 X=2" {
		t.Errorf("make install: %q, want V=1 X=2", got)
	}
	if !strings.Contains(out, "libx.la") {
		t.Errorf("removed .la files are not listed:\n%s", out)
	}
}

func TestPerlCleanup(t *testing.T) {
	s := newSandbox(t, "perl-foo")
	write(t, s.pkgdir("perl-foo"), map[string]string{
		"usr/lib/perl5/core_perl/perllocal.pod":        "pod",
		"usr/lib/perl5/vendor_perl/auto/Foo/.packlist": "list",
		"usr/lib/perl5/vendor_perl/Foo.pm":             "pm",
		"usr/share/man/man3/Foo.3pm":                   "man",
	})
	s.mustRun("perl/cleanup", "perl-foo", nil)
	wantTree(t, s.pkgdir("perl-foo"), "usr/lib/perl5/vendor_perl/Foo.pm", "usr/share/man/man3/Foo.3pm")
}

type importCase struct {
	name    string
	with    map[string]string
	wantErr string
	wantOut []string
}

func TestPythonImport(t *testing.T) {
	// The interpreter itself, not a wrapper script (pyenv shims need bash).
	py, err := filepath.EvalSymlinks("/usr/bin/python3")
	fixture.Need(t, "/usr/bin/python3 (apt-get install python3)", err)
	tests := []importCase{
		{"imports", map[string]string{"imports": "import json\n# a comment\n\nfrom os import path  # inline\n"}, "",
			[]string{`-c "import json": PASS`, `-c "from os import path": PASS`}},
		{"import", map[string]string{"import": "json"}, "", []string{`-c "import json": PASS`}},
		{"from", map[string]string{"from": "os", "import": "path"}, "", []string{`-c "from os import path": PASS`}},
		{"failing", map[string]string{"imports": "import json\nimport no_such_module_here\n"}, "exit status 1",
			[]string{`-c "import no_such_module_here": FAIL`}},
		{"both", map[string]string{"import": "json", "imports": "import os"}, "cannot be used together", nil},
		{"from without import", map[string]string{"from": "os"}, "from needs import", nil},
		{"nothing", nil, "nothing to import", nil},
	}
	if found, _ := filepath.Glob("/usr/bin/python3.[0-9]*"); len(found) > 0 {
		n := 0
		for _, f := range found {
			if !strings.Contains(filepath.Base(f), "-") {
				n++
			}
		}
		if n == 1 {
			// DEFAULT finds the one /usr/bin/python3.N there is.
			tests = append(tests, importCase{"default python", map[string]string{"python": "DEFAULT", "import": "json"}, "",
				[]string{"using " + py, `-c "import json": PASS`}})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t, "py3-foo")
			with := map[string]string{"python": py}
			for k, v := range tt.with {
				with[k] = v
			}
			out, err := s.run("python/import", "py3-foo", with)
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// goSandbox is a sandbox with the host's go toolchain on PATH, sharing the
// host's build cache, offline.
func goSandbox(t *testing.T) (*sandbox, string) {
	t.Helper()
	fixture.Slow(t, "compiles Go programs")
	goBin, _ := filepath.EvalSymlinks(fixture.NeedTool(t, "go"))
	cache, err := exec.Command(goBin, "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	s := newSandbox(t, "hello")
	s.path = append(s.path, filepath.Dir(goBin))
	s.env = append(s.env, "GOCACHE="+strings.TrimSpace(string(cache)), "GOMODCACHE="+filepath.Join(t.TempDir(), "mod"),
		"GOFLAGS=", "GOPROXY=off", "GOTOOLCHAIN=local")
	return s, goBin
}

func TestGoBuild(t *testing.T) {
	s, goBin := goSandbox(t)
	write(t, s.ws, map[string]string{
		"src/go.mod": "module example.org/hello\n\ngo 1.22\n",
		"src/cmd/hello/main.go": "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\n" +
			"func main() { fmt.Println(\"hello\", version) }\n",
		"src/cmd/bye/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"bye\") }\n",
	})
	s.mustRun("go/build", "hello", map[string]string{
		"modroot": "src", "packages": "./cmd/hello", "output": "hello",
		"ldflags": "-X main.version=${{package.version}}",
	})
	s.mustRun("go/build", "hello-bye", map[string]string{
		"modroot": "src", "packages": "./cmd/bye", "output": "bye", "install-dir": "sbin", "tags": "extra",
	})
	// Several packages at once: output names a directory.
	s.mustRun("go/build", "hello-all", map[string]string{
		"modroot": "src", "packages": "./cmd/hello ./cmd/bye", "output": "tools/",
	})
	for bin, want := range map[string]string{
		s.pkgdir("hello") + "/usr/bin/hello":           "hello 1.2.3\n",
		s.pkgdir("hello-bye") + "/usr/sbin/bye":        "bye\n",
		s.pkgdir("hello-all") + "/usr/bin/tools/hello": "hello dev\n",
		s.pkgdir("hello-all") + "/usr/bin/tools/bye":   "bye\n",
	} {
		out, err := exec.Command(bin).Output()
		if err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		if string(out) != want {
			t.Errorf("%s printed %q, want %q", bin, out, want)
		}
	}
	info, err := exec.Command(goBin, "version", "-m", s.pkgdir("hello")+"/usr/bin/hello").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-trimpath=true", "-tags=netgo,osusergo", "GOAMD64=v2"} {
		if !strings.Contains(string(info), want) {
			t.Errorf("build info lacks %q:\n%s", want, info)
		}
	}

	_, err = s.run("go/build", "hello", map[string]string{"packages": ".", "output": "x"})
	if err == nil || !strings.Contains(err.Error(), "no go.mod in .") {
		t.Errorf("go/build outside the module: %v", err)
	}
}

// TestStrip uses a stand-in for scanelf that reports one shared object
// and one bare-metal (STANDALONE) file, and the host's strip; the shared
// object is a system library given a .debug_info section.
func TestStrip(t *testing.T) {
	s := newSandbox(t, "foo")
	s.tool("strip")
	objcopy := fixture.NeedTool(t, "objcopy")
	lib := fixture.NeedFile(t, "/usr/lib/*-linux-gnu/libz.so.1.*", "zlib1g")
	write(t, s.extra, map[string]string{"scanelf": "#!/bin/sh\n" +
		"echo 'ET_DYN LINUX ./usr/lib/libz.so.1'\n" +
		"echo 'ET_EXEC STANDALONE ./usr/lib/firmware/fw.elf'\n"})
	write(t, s.pkgdir("foo"), map[string]string{
		"usr/lib/firmware/fw.elf": "not an ELF file: strip would fail on it",
		"debug.bin":               "debug data",
	})
	so := filepath.Join(s.pkgdir("foo"), "usr/lib/libz.so.1")
	if out, err := exec.Command(objcopy, "--add-section", ".debug_info="+filepath.Join(s.pkgdir("foo"), "debug.bin"),
		lib, so).CombinedOutput(); err != nil {
		t.Fatalf("objcopy: %v\n%s", err, out)
	}
	if !hasDebug(t, so) {
		t.Fatal("setup: no .debug_info section was added")
	}
	s.mustRun("strip", "foo", nil)
	if hasDebug(t, so) {
		t.Error("strip -g left the .debug_info section")
	}
}

func hasDebug(t *testing.T, p string) bool {
	t.Helper()
	f, err := elf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sec := range f.Sections {
		if strings.HasPrefix(sec.Name, ".debug_") || strings.HasPrefix(sec.Name, ".zdebug_") {
			return true
		}
	}
	return false
}

// Files that git does not track (build leftovers) must not mark the
// version control stamp dirty unless ignore-untracked-files is false.
func TestGoBuildUntrackedFiles(t *testing.T) {
	for _, ignore := range []string{"true", "false"} {
		t.Run("ignore-untracked-files="+ignore, func(t *testing.T) {
			s, goBin := goSandbox(t)
			s.tool("git")
			up := &gitRepo{t: t, dir: s.ws, env: append(os.Environ(),
				"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
				"GIT_AUTHOR_NAME=up", "GIT_AUTHOR_EMAIL=up@example.org",
				"GIT_COMMITTER_NAME=up", "GIT_COMMITTER_EMAIL=up@example.org")}
			up.git("init", "--quiet")
			up.commit("go.mod", "module example.org/hello\n\ngo 1.22\n")
			up.commit("main.go", "package main\n\nfunc main() {}\n")
			write(t, s.ws, map[string]string{"leftover.txt": "untracked"})
			s.mustRun("go/build", "hello", map[string]string{
				"packages": ".", "output": "hello", "ignore-untracked-files": ignore,
			})
			info, err := exec.Command(goBin, "version", "-m", s.pkgdir("hello")+"/usr/bin/hello").Output()
			if err != nil {
				t.Fatal(err)
			}
			want := "vcs.modified=" + map[string]string{"true": "false", "false": "true"}[ignore]
			if !strings.Contains(string(info), want) {
				t.Errorf("build info lacks %s:\n%s", want, info)
			}
		})
	}
}
