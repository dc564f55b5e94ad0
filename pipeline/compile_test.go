package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/pestle-dev/pestle/sandbox"
)

const smallRecipe = `
package:
  name: small
  version: 1.0.0
  epoch: 2
  target-architecture: [x86_64]
environment:
  environment:
    HOME: /root
    FOO: bar
pipeline:
  - uses: my/step
    working-directory: src
    environment:
      STEP: "1"
  - uses: fetch
    with:
      uri: https://example.com/small-${{package.version}}.tar.gz
      expected-sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
`

var smallLibrary = fstest.MapFS{
	"my/step.yaml": {Data: []byte(`
needs:
  packages: [make, "tool-${{inputs.flavor}}"]
inputs:
  flavor:
    default: ${{build.arch}}
pipeline:
  - runs: make FLAVOR=${{inputs.flavor}}
`)},
	"fetch.yaml": {Data: []byte(`
needs: {packages: [wget]}
inputs:
  uri: {required: true}
  expected-sha256: {}
  extract: {default: "true"}
pipeline:
  - runs: wget ${{inputs.uri}}
`)},
}

func compileSmall(t *testing.T, lib *Library, arch string) (*Plan, error) {
	t.Helper()
	r, err := Parse([]byte(smallRecipe), "small.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return Compile(r, CompileOptions{Arch: arch, Library: lib})
}

func TestCompileSmall(t *testing.T) {
	lib := &Library{FS: smallLibrary}
	plan, err := compileSmall(t, lib, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Arch != "x86_64" || plan.Package.FullVersion != "1.0.0-r2" {
		t.Errorf("arch %q full version %q", plan.Arch, plan.Package.FullVersion)
	}
	if got := strings.Join(plan.Environment.Packages, " "); got != "make tool-x86_64" { // fetch runs on the host: no wget
		t.Errorf("packages = %q", got)
	}
	steps := plan.Packages[0].Steps
	if len(steps) != 2 {
		t.Fatalf("steps: %+v", steps)
	}
	s := steps[0]
	if s.Script != "make FLAVOR=x86_64" || s.WorkingDirectory != "/home/build/src" || s.Line != 12 || s.Uses != "my/step" {
		t.Errorf("step 0: %+v", s)
	}
	h := steps[1]
	if h.Host != "fetch" || h.Script != "" || h.With["uri"] != "https://example.com/small-1.0.0.tar.gz" || h.With["extract"] != "true" || h.Line != 16 {
		t.Errorf("host step: %+v", h)
	}
	env := plan.StepEnv(s)
	if env["HOME"] != "/root" || env["FOO"] != "bar" || env["STEP"] != "1" || env["PATH"] != sandbox.DefaultPath || env["GOPATH"] == "" {
		t.Errorf("StepEnv = %v", env)
	}
	cmd := s.Command(false)
	want := "set -eo pipefail\n[ -d '/home/build/src' ] || mkdir -p '/home/build/src'\ncd '/home/build/src'\nmake FLAVOR=x86_64\nexit 0"
	if len(cmd) != 3 || cmd[0] != "/bin/sh" || cmd[1] != "-c" || cmd[2] != want {
		t.Errorf("Command = %q", cmd)
	}
	if c := (Step{WorkingDirectory: "/it's", Script: "x"}).Command(true); !strings.Contains(c[2], `set -exo pipefail`) || !strings.Contains(c[2], `cd '/it'\''s'`) {
		t.Errorf("Command(debug) = %q", c[2])
	}
}

func TestCompileArch(t *testing.T) {
	lib := &Library{FS: smallLibrary}
	_, err := compileSmall(t, lib, "aarch64")
	if !errors.Is(err, ErrArchNotTargeted) {
		t.Errorf("aarch64: got %v, want ErrArchNotTargeted", err)
	}
	if _, err := compileSmall(t, lib, "sparc"); err == nil || !strings.Contains(err.Error(), "unknown architecture") {
		t.Errorf("sparc: %v", err)
	}
	for in, want := range map[string]Arch{"amd64": {"x86_64", "amd64"}, "arm64": {"aarch64", "arm64"}, "armv7": {"armv7", "arm/v7"}, "386": {"x86", "386"}} {
		if a, err := ParseArch(in); err != nil || a != want {
			t.Errorf("ParseArch(%q) = %v, %v", in, a, err)
		}
	}
	if a, err := ParseArch(""); err != nil || a.APK == "" {
		t.Errorf("host arch: %v %v", a, err)
	}
	a, _ := ParseArch("armv7")
	if a.TripletGNU("gnu") != "armv7l-unknown-linux-gnueabihf" || a.TripletRust("musl") != "armv7-unknown-linux-musleabihf" {
		t.Errorf("armv7 triplets: %s %s", a.TripletGNU("gnu"), a.TripletRust("musl"))
	}
}

// TestLibraryConcurrent compiles in parallel with one shared library (run
// with -race): parsed definitions are shared and never modified.
func TestLibraryConcurrent(t *testing.T) {
	lib := &Library{FS: smallLibrary}
	var wg sync.WaitGroup
	plans := make([]*Plan, 8)
	for i := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := Parse([]byte(smallRecipe), "small.yaml")
			plans[i], _ = Compile(r, CompileOptions{Arch: "x86_64", Library: lib})
		}()
	}
	wg.Wait()
	for i, p := range plans {
		if p == nil || len(p.Packages[0].Steps) != 2 {
			t.Fatalf("plan %d: %+v", i, p)
		}
	}
}

func TestPipelineDirFirst(t *testing.T) {
	dir := filepath.Join(recipesDir(t), "pipelines")
	lib := NewLibrary(dir)
	d, err := lib.lookup("local/greet")
	if err != nil || !strings.HasSuffix(d.file, filepath.Join("local", "greet.yaml")) {
		t.Fatalf("local/greet: %v %v", d, err)
	}
	d, err = lib.lookup("autoconf/configure")
	if err != nil || d.file != "builtin:autoconf/configure.yaml" {
		t.Fatalf("autoconf/configure: %+v %v", d, err)
	}
	if _, err := lib.lookup("nope/nothing"); err == nil {
		t.Fatal("missing pipeline found")
	}
}

func loadLarge(tb testing.TB) (*Recipe, string) {
	tb.Helper()
	dir := recipesDir(tb)
	r, err := Load(filepath.Join(dir, "large", "llvm-toolchain.yaml"), LoadOptions{DisplayName: "llvm-toolchain.yaml"})
	if err != nil {
		tb.Fatal(err)
	}
	return r, filepath.Join(dir, "pipelines")
}

func TestLargeRecipe(t *testing.T) {
	r, dir := loadLarge(t)
	if len(r.Subpackages) != 38 {
		t.Errorf("%d subpackages, want 38", len(r.Subpackages))
	}
	for _, tc := range []struct {
		arch     string
		packages int
	}{{"x86_64", 1 + 36 + 8 + 4}, {"aarch64", 1 + 36 + 8 + 4}, {"s390x", 1 + 35 + 8}} {
		plan, err := Compile(r, CompileOptions{Arch: tc.arch, PipelineDirs: []string{dir}})
		if err != nil {
			t.Fatalf("%s: %v", tc.arch, err)
		}
		if len(plan.Packages) != tc.packages {
			t.Errorf("%s: %d packages, want %d", tc.arch, len(plan.Packages), tc.packages)
		}
		for _, p := range plan.Packages {
			for _, s := range p.Steps {
				if strings.Contains(s.Script, "${{") || s.Line == 0 {
					t.Fatalf("%s/%s: unsubstituted or unplaced step %+v", tc.arch, p.Name, s)
				}
			}
		}
	}
}

// BenchmarkCompileLarge parses and compiles the 1,700-line, 38-subpackage
// toolchain recipe, as `pestle build` does once per architecture.
func BenchmarkCompileLarge(b *testing.B) {
	_, dir := loadLarge(b)
	data, err := readFile(filepath.Join(recipesDir(b), "large", "llvm-toolchain.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := Parse(data, "llvm-toolchain.yaml")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Compile(r, CompileOptions{Arch: "x86_64", PipelineDirs: []string{dir}}); err != nil {
			b.Fatal(err)
		}
	}
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
