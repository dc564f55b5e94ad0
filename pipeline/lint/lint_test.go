package lint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestDefaults(t *testing.T) {
	// melange's defaults (pkg/linter/linter.go).
	wantRequired := []string{"dev", "infodir", "libtool/la-files", "setuidgid", "tempdir", "usrmerge", "varempty", "worldwrite"}
	wantWarn := []string{"binaryarch", "cudaruntimelib", "dll", "duplicate", "dylib", "lddcheck", "maninfo", "nonlinux", "object", "opt",
		"pkgconf", "python/docs", "python/multiple", "python/test", "sbom", "srv", "staticarchive", "strip", "unsupportedarch", "usrlocal"}
	if got := DefaultRequired(); !slices.Equal(got, wantRequired) {
		t.Errorf("DefaultRequired() = %v, want %v", got, wantRequired)
	}
	if got := DefaultWarn(); !slices.Equal(got, wantWarn) {
		t.Errorf("DefaultWarn() = %v, want %v", got, wantWarn)
	}
	all := append(append(slices.Clone(wantRequired), wantWarn...), "documentation", "empty")
	slices.Sort(all)
	if got := Names(); !slices.Equal(got, all) {
		t.Errorf("Names() = %v, want %v", got, all)
	}
	for _, n := range Names() {
		if Explain(n) == "" {
			t.Errorf("%s has no fix text", n)
		}
	}
	if Explain("nope") != "" {
		t.Error("Explain of an unknown linter")
	}
}

func TestSelection(t *testing.T) {
	// One tree that trips a required linter (tempdir), a warning
	// (usrlocal) and an off-by-default one (empty is not: documentation).
	dir := mkTree(t, file("tmp/x"), file("usr/local/bin/y"), file("usr/share/doc/README"))
	levels := func(opts Options) map[string]bool {
		t.Helper()
		fs, err := Run(context.Background(), dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, f := range fs {
			out[f.Linter] = f.Required
		}
		return out
	}
	cases := []struct {
		name string
		opts Options
		want map[string]bool
	}{
		{"defaults", Options{}, map[string]bool{"tempdir": true, "usrlocal": false}},
		{"disabled downgrades", Options{Disabled: []string{"tempdir", "not-a-linter", "usrlocal"}}, map[string]bool{"tempdir": false, "usrlocal": false}},
		{"require replaces", Options{Require: []string{"usrlocal"}}, map[string]bool{"usrlocal": true}},
		{"warn replaces", Options{Warn: []string{"documentation"}}, map[string]bool{"tempdir": true, "documentation": false}},
		{"both lists: required wins", Options{Require: []string{"tempdir"}, Warn: []string{"tempdir", " "}}, map[string]bool{"tempdir": true}},
		{"none", Options{Require: []string{}, Warn: []string{}}, map[string]bool{}},
	}
	for _, c := range cases {
		if got := levels(c.opts); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	_, err := Run(context.Background(), dir, Options{Require: []string{"dev", "typo"}, Warn: []string{"strip", "also-typo"}})
	if !errors.Is(err, ErrUnknownLinter) || !strings.Contains(err.Error(), "typo, also-typo") && !strings.Contains(err.Error(), "also-typo, typo") {
		t.Errorf("unknown linter error: %v", err)
	}
}

func TestCheckError(t *testing.T) {
	dir := mkTree(t, file("tmp/a"), file("tmp/b"), fileMode("usr/bin/x", 0o666), file("usr/local/z"))
	fs, err := Run(context.Background(), dir, Options{PackageName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"tempdir: tmp/a: file in temporary directory /tmp, which is empty at boot [required]",
		"tempdir: tmp/b: file in temporary directory /tmp, which is empty at boot [required]",
		"usrlocal: usr/local/z: package not named *-compat installs under /usr/local [warning]",
		"worldwrite: usr/bin/x: world-writable file (mode 0666) [required]",
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	err = Check("demo", fs)
	var le *Error
	if !errors.Is(err, ErrFailed) || !errors.As(err, &le) || len(le.Findings) != 3 {
		t.Fatalf("Check: %v", err)
	}
	msg := err.Error()
	for _, s := range []string{"package demo", "tempdir failed on tmp/a", "and 2 more finding(s) of tempdir, worldwrite", "package.checks.disabled", Explain("tempdir")} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q lacks %q", msg, s)
		}
	}
	if Check("demo", fs[2:3]) != nil {
		t.Error("warnings alone failed the check")
	}
	if empty := (Finding{Linter: "empty", Message: "m"}).String(); empty != "empty: (package): m [warning]" {
		t.Errorf("package-wide finding prints as %q", empty)
	}
}

func TestSpecialAndSBOMSkip(t *testing.T) {
	dir := mkTree(t, file("var/lib/db/sbom/hello-darwin-1-r0.spdx.json"), file("usr/bin/x"))
	fs, err := Run(context.Background(), dir, Options{PackageName: "hello-darwin", Special: []string{"/dev/console", "dev/../dev/null", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if got := findingPaths(fs); !slices.Equal(got, []string{"dev/console", "dev/null"}) {
		t.Errorf("findings %v: want the device nodes only (the SBOM is no nonlinux match)", fs)
	}
}

func TestCancelAndErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, mkTree(t, file("a")), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v", err)
	}
	if _, err := Run(context.Background(), filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("missing tree: no error")
	}
}

// TestSymlinkNotFollowed: a link out of the tree named like a library is
// not opened by the ELF linters, and a linked directory is not walked.
func TestSymlinkNotFollowed(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := mkTree(t, symlink("usr/lib/libhost.so.1", exe), symlink("usr/share/etc", "/etc"))
	fs, err := Run(context.Background(), dir, Options{Require: []string{}, Warn: []string{"strip", "binaryarch", "duplicate"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Errorf("symbolic links were followed: %v", fs)
	}
}

// TestRealBinary lints a real program built with its DWARF debug
// information: strip must see it, binaryarch must accept the host's
// architecture.
func TestRealBinary(t *testing.T) {
	fixture.Slow(t, "builds a Go program")
	gobin := fixture.NeedTool(t, "go")
	dir := mkTree(t, dir("usr/bin"), content("src/main.go", []byte("package main\n\nfunc main() { println(\"hi\") }\n"), 0o644))
	cmd := exec.Command(gobin, "build", "-o", filepath.Join(dir, "usr/bin/prog"), "main.go")
	cmd.Dir = filepath.Join(dir, "src")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GO111MODULE=off", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "src")); err != nil {
		t.Fatal(err)
	}
	fs, err := Run(context.Background(), dir, Options{Require: []string{}, Warn: []string{"strip", "binaryarch"}, Arch: apk.HostArch()})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Linter != "strip" || fs[0].Path != "usr/bin/prog" || !strings.Contains(fs[0].Message, ".debug_") {
		t.Errorf("findings %v, want one strip finding naming .debug_ sections", fs)
	}
}

// TestFixtures lints real packages made by melange and apk-tools with
// File: none has a required finding, and hello-wolfi's glibc binary is
// for x86_64.
func TestFixtures(t *testing.T) {
	fx := fixture.Dir(t)
	files := []string{
		filepath.Join(fx, "wolfi", "hello-wolfi-2.12.1-r0.apk"),
		filepath.Join(fx, "alpine-316", "alpine-baselayout-3.2.0-r23.apk"),
	}
	more, _ := filepath.Glob(filepath.Join(fx, "melange-repo", "x86_64", "*.apk"))
	for _, file := range append(files, more...) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			r, err := File(context.Background(), file, Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			fs := r.Findings
			for _, f := range fs {
				t.Logf("%s", f)
			}
			err = Check(r.Package, fs)
			switch r.Package {
			case "alpine-baselayout":
				// Alpine's /usr is not merged.
				var le *Error
				if !errors.As(err, &le) || !slices.Equal(le.linters(), []string{"usrmerge"}) {
					t.Errorf("alpine-baselayout: %v, want usrmerge failures", err)
				}
				return
			case "hello-wolfi":
				// a stripped x86_64 glibc binary, man and info pages
				for _, f := range fs {
					if f.Linter == "strip" || f.Linter == "binaryarch" {
						t.Errorf("usr/bin/hello: %s", f)
					}
				}
				if !slices.ContainsFunc(fs, func(f Finding) bool { return f.Linter == "maninfo" && f.Path == "usr/share/info/hello.info" }) {
					t.Error("maninfo did not see usr/share/info/hello.info")
				}
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

func TestFromRecipe(t *testing.T) {
	recipe := []byte(`
package:
  name: hello
  version: "1.10"
  checks:
    disabled: [usrmerge, tempdir]
  unknown-field: kept quiet
test:
  pipeline:
    - uses: test/pkgconf
    - runs: echo hi
    - pipeline:
        - uses: test/ldd-check
subpackages:
  - name: hello-dev
    checks:
      disabled: [staticarchive]
    test:
      pipeline:
        - uses: test/tw/ldd-check
  - name: hello-doc
`)
	cases := []struct {
		pkg             string
		disabled, tests []string
	}{
		{"hello", []string{"usrmerge", "tempdir"}, []string{"test/pkgconf", "test/ldd-check"}},
		{"hello-dev", []string{"staticarchive"}, []string{"test/tw/ldd-check"}},
		{"hello-doc", nil, nil},
		{"other", nil, nil},
	}
	for _, c := range cases {
		d, tests, err := FromRecipe(recipe, c.pkg)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d, c.disabled) || !slices.Equal(tests, c.tests) {
			t.Errorf("%s: %v %v, want %v %v", c.pkg, d, tests, c.disabled, c.tests)
		}
	}
	if _, _, err := FromRecipe([]byte("package: [oops"), "x"); err == nil {
		t.Error("broken YAML: no error")
	}
}

// FuzzFromRecipe: the .melange.yaml of a package is untrusted input.
func FuzzFromRecipe(f *testing.F) {
	f.Add([]byte("package:\n  name: a\n  checks:\n    disabled: [dev]\ntest:\n  pipeline:\n    - uses: test/pkgconf\n"), "a")
	f.Add([]byte("subpackages:\n  - name: b\n    test:\n      pipeline: [{pipeline: [{uses: x}]}]\n"), "b")
	f.Add([]byte("&a [*a]"), "a")
	f.Fuzz(func(t *testing.T, data []byte, pkg string) {
		_, _, _ = FromRecipe(data, pkg)
	})
}

// BenchmarkRun lints a 5,000-file tree with the default linters.
func BenchmarkRun(b *testing.B) {
	var nodes []node
	for i := range 5000 {
		nodes = append(nodes, content(fmt.Sprintf("usr/share/pkg/d%02d/file%04d.dat", i%50, i), []byte(strings.Repeat("y", 2000+i)), 0o644))
	}
	nodes = append(nodes, content("usr/bin/tool", fakeELF(0x3e, ".text"), 0o755))
	dir := mkTree(b, nodes...)
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), dir, Options{PackageName: "bench", Arch: "x86_64"}); err != nil {
			b.Fatal(err)
		}
	}
}
