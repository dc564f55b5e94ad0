package batch

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/graph"
)

// fake stands in for the build: it compiles the recipe, resolves nothing
// (the environment is one fixed package) and writes a small file as the
// package. Recipes named fail-* fail at step "install", line 9.
type fake struct {
	mu       sync.Mutex
	built    []string
	running  int
	peak     int
	envCheck string // the environment's checksum, changed to simulate a new base
}

func (f *fake) inputs(_ context.Context, o build.Options) (*build.Inputs, error) {
	rec, err := pipeline.Load(o.Recipe, pipeline.LoadOptions{})
	if err != nil {
		return nil, err
	}
	plan, err := pipeline.Compile(rec, pipeline.CompileOptions{Arch: o.Arch})
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	sum := f.envCheck
	f.mu.Unlock()
	return &build.Inputs{Plan: plan, Environment: []*apk.PackageInfo{{Name: "busybox", Version: "1.35.0-r0", Checksum: []byte(sum)}}}, nil
}

func (f *fake) build(_ context.Context, o build.Options) (*build.Result, error) {
	name := strings.TrimSuffix(filepath.Base(o.Recipe), ".yaml")
	f.mu.Lock()
	f.running++
	f.peak = max(f.peak, f.running)
	f.built = append(f.built, name)
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	if strings.HasPrefix(name, "fail") {
		return nil, &build.StepError{Package: name, Step: "install", File: o.Recipe, Line: 9, Err: errors.New("exit status 1")}
	}
	dir := filepath.Join(o.OutDir, "x86_64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	info := &apk.PackageInfo{Name: name, Version: "1.0.0-r0"}
	path := filepath.Join(dir, info.Filename())
	data, _ := os.ReadFile(o.Recipe)
	return &build.Result{Packages: []build.Written{{Info: info, Path: path}}}, os.WriteFile(path, data, 0o644)
}

// set writes recipes (name → needs) into a temp dir and loads the graph.
func set(t *testing.T, needs map[string][]string) (*graph.Graph, string) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "recipes")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, n := range needs {
		if err := os.WriteFile(filepath.Join(src, name+".yaml"), []byte(genRecipe(name, n, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return loadDir(t, src), dir
}

func loadDir(t *testing.T, src string) *graph.Graph {
	t.Helper()
	files, err := graph.Discover([]string{src})
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.Load(files, graph.Options{Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fakeRun(t *testing.T, g *graph.Graph, dir string, f *fake, mod func(*Options)) *Report {
	t.Helper()
	o := Options{
		Build: build.Options{EnvOptions: build.EnvOptions{Arch: "x86_64", AllowUntrusted: true}, OutDir: filepath.Join(dir, "packages")},
		Jobs:  1, LogDir: filepath.Join(dir, "logs"), Version: "test", build: f.build, inputs: f.inputs,
	}
	if mod != nil {
		mod(&o)
	}
	rep, err := Run(context.Background(), g, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

var small = map[string][]string{
	"a": nil, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "fail-e": {"a"}, "f": {"fail-e"}, "g": nil,
}

func TestStopAfterFailure(t *testing.T) {
	g, dir := set(t, small)
	f := &fake{}
	rep := fakeRun(t, g, dir, f, nil)
	// Order: level 1 (a, g), then level 2 (b, c, fail-e) by name; after
	// fail-e fails nothing new starts.
	if !slices.Equal(f.built, []string{"a", "g", "b", "c", "fail-e"}) {
		t.Errorf("built %q, want a, g, b, c, fail-e", f.built)
	}
	got := outcomes(rep)
	if !slices.Equal(got[NotStarted], []string{"d"}) || !slices.Equal(got[Skipped], []string{"f"}) {
		t.Errorf("outcomes %q", got)
	}
	if rep.OK() {
		t.Error("report OK after a failure")
	}
}

func TestKeepGoing(t *testing.T) {
	g, dir := set(t, small)
	f := &fake{}
	rep := fakeRun(t, g, dir, f, func(o *Options) { o.KeepGoing = true; o.Jobs = 3 })
	got := outcomes(rep)
	if !slices.Equal(got[Built], []string{"a", "b", "c", "d", "g"}) || !slices.Equal(got[Skipped], []string{"f"}) ||
		!slices.Equal(got[Failed], []string{"fail-e"}) {
		t.Errorf("outcomes %q", got)
	}
	if f.peak > 3 {
		t.Errorf("%d builds at once with -j 3", f.peak)
	}
	checkOrder(t, rep)
	var b strings.Builder
	if err := rep.Table(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`step "install" at`, "fail-e.yaml:9", "needs fail-e, which failed", "x86_64: 5 built, 1 failed, 1 skipped"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestUpToDate(t *testing.T) {
	g, dir := set(t, map[string][]string{"a": nil, "b": {"a"}, "c": nil})
	f := &fake{envCheck: "1"}
	fakeRun(t, g, dir, f, nil)
	f.built = nil
	rep := fakeRun(t, g, dir, f, nil)
	if len(f.built) != 0 || rep.Count(UpToDate) != 3 {
		t.Fatalf("second run built %q", f.built)
	}
	// --force builds everything again.
	fakeRun(t, g, dir, f, func(o *Options) { o.Force = true })
	if len(f.built) != 3 {
		t.Errorf("--force built %q", f.built)
	}
	// A package that no longer matches its record is rebuilt.
	f.built = nil
	pkg := filepath.Join(dir, "packages", "x86_64", "c-1.0.0-r0.apk")
	if err := os.WriteFile(pkg, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = fakeRun(t, g, dir, f, nil)
	if !slices.Equal(f.built, []string{"c"}) {
		t.Errorf("after tampering with c's package, built %q", f.built)
	}
	if r := result(rep, "c"); !strings.Contains(r.Why, "not the file that was built") {
		t.Errorf("c rebuilt because %q", r.Why)
	}
	// A new environment package rebuilds everything, saying so.
	f.built, f.envCheck = nil, "2"
	rep = fakeRun(t, g, dir, f, nil)
	if len(f.built) != 3 || !strings.Contains(result(rep, "a").Why, "busybox-1.35.0-r0 (rebuilt)") {
		t.Errorf("new environment: built %q, a because %q", f.built, result(rep, "a").Why)
	}
	if why := result(rep, "b").Why; !strings.Contains(why, "dependency a changed") {
		t.Errorf("b rebuilt because %q", why)
	}
}

func result(rep *Report, name string) *Result {
	for _, r := range rep.Results {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func TestDryRun(t *testing.T) {
	g, dir := set(t, map[string][]string{"a": nil, "b": {"a"}, "c": nil})
	f := &fake{}
	fakeRun(t, g, dir, f, func(o *Options) { o.Only = []string{"c"} })
	f.built = nil
	rep := fakeRun(t, g, dir, f, func(o *Options) { o.DryRun = true })
	if len(f.built) != 0 {
		t.Fatalf("dry run built %q", f.built)
	}
	want := map[string]string{"a": "no earlier build recorded", "b": "dependency a will be built first"}
	for name, why := range want {
		if r := result(rep, name); r.Outcome != WillBuild || r.Why != why {
			t.Errorf("%s: %s (%s), want will build (%s)", name, r.Outcome, r.Why, why)
		}
	}
	if r := result(rep, "c"); r.Outcome != UpToDate || r.Key == "" || r.Inputs == nil {
		t.Errorf("c: %+v", r)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"key":"` + result(rep, "a").Key, `"outputs":["a"]`, `"deps":["a"]`, `"environment":["busybox-1.35.0-r0 "]`} {
		if !strings.Contains(string(js), s) {
			t.Errorf("plan JSON lacks %s:\n%s", s, js)
		}
	}
}

func TestOnly(t *testing.T) {
	g, dir := set(t, map[string][]string{"a": nil, "b": {"a"}, "c": nil})
	f := &fake{}
	rep := fakeRun(t, g, dir, f, func(o *Options) { o.Only = []string{"b"} })
	if len(f.built) != 0 || result(rep, "c") != nil {
		t.Errorf("--only b with a not built: built %q, c in report: %v", f.built, result(rep, "c") != nil)
	}
	if r := result(rep, "a"); r.Outcome != Skipped || !strings.Contains(r.Why, "not named by --only") {
		t.Errorf("a: %s (%s)", r.Outcome, r.Why)
	}
	fakeRun(t, g, dir, f, func(o *Options) { o.Only = []string{"a"} })
	fakeRun(t, g, dir, f, func(o *Options) { o.Only = []string{"b"} })
	if !slices.Equal(f.built, []string{"a", "b"}) {
		t.Errorf("built %q, want a then b", f.built)
	}
	// The keys are those of a whole run: nothing is left to build.
	f.built = nil
	fakeRun(t, g, dir, f, func(o *Options) { o.Only = nil })
	if !slices.Equal(f.built, []string{"c"}) {
		t.Errorf("a whole run after --only a, --only b built %q, want only c", f.built)
	}
	_, err := Run(context.Background(), g, Options{Only: []string{"zz"}, Build: build.Options{EnvOptions: build.EnvOptions{AllowUntrusted: true}}})
	if err == nil || !strings.Contains(err.Error(), "zz") {
		t.Errorf("--only zz: %v", err)
	}
}

func TestNeedsSigningKey(t *testing.T) {
	g, _ := set(t, map[string][]string{"a": nil, "b": {"a"}})
	_, err := Run(context.Background(), g, Options{})
	if err == nil || !strings.Contains(err.Error(), "--signing-key") {
		t.Errorf("err = %v", err)
	}
}

func TestChanges(t *testing.T) {
	a := &KeyInputs{Recipe: "1", Plan: "p", Environment: []string{"x-1 aa", "y-1 bb"}, Deps: map[string]string{"d": "k1"}, Arch: "x86_64", Pestle: "v1"}
	b := &KeyInputs{Recipe: "1", Plan: "p", Environment: []string{"x-1 ab", "z-2 cc"}, Deps: map[string]string{"d": "k2"}, Arch: "x86_64", Pestle: "v2"}
	got := strings.Join(changes(a, b), "; ")
	want := "the build environment changed: +z-2 -y-1 x-1 (rebuilt); dependency d changed; pestle changed from v1 to v2"
	if got != want {
		t.Errorf("changes = %q\nwant      %q", got, want)
	}
	if a.Key() == b.Key() || a.Key() != (&KeyInputs{Recipe: "1", Plan: "p", Environment: []string{"x-1 aa", "y-1 bb"}, Deps: map[string]string{"d": "k1"}, Arch: "x86_64", Pestle: "v1"}).Key() {
		t.Error("keys do not follow the inputs")
	}
}

// TestTestCycle: cc's test needs hello, which needs cc to build. Only the
// build environment orders the builds: cc, then hello, with a note.
func TestTestCycle(t *testing.T) {
	_, dir := set(t, map[string][]string{"hello": {"cc"}})
	src := filepath.Join(dir, "recipes")
	cc := genRecipe("cc", nil, "") + "test:\n  environment:\n    contents:\n      packages: [hello]\n  pipeline:\n    - runs: hello\n"
	if err := os.WriteFile(filepath.Join(src, "cc.yaml"), []byte(cc), 0o644); err != nil {
		t.Fatal(err)
	}
	g := loadDir(t, src)
	f := &fake{}
	rep := fakeRun(t, g, dir, f, nil)
	if !rep.OK() || !slices.Equal(f.built, []string{"cc", "hello"}) {
		t.Errorf("built %q, ok %v", f.built, rep.OK())
	}
	var b strings.Builder
	if err := rep.Table(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "note: cc needs hello (test hello) closes a cycle") {
		t.Errorf("table lacks the note:\n%s", b.String())
	}
}

// The default log dir is refused when it is a symlink a folder of recipes
// could have brought; one the user names is followed.
func TestLogDirSymlink(t *testing.T) {
	g, dir := set(t, small)
	target := t.TempDir()
	logs := filepath.Join(dir, "logs")
	if err := os.Symlink(target, logs); err != nil {
		t.Fatal(err)
	}
	o := Options{
		Build: build.Options{EnvOptions: build.EnvOptions{Arch: "x86_64", AllowUntrusted: true}, OutDir: filepath.Join(dir, "packages")},
		Jobs:  1, LogDir: logs, Version: "test", build: (&fake{}).build, inputs: (&fake{}).inputs,
	}
	if _, err := Run(context.Background(), g, o); err == nil || !strings.Contains(err.Error(), "--log-dir") {
		t.Fatalf("err = %v, want the link refused", err)
	}
	fakeRun(t, g, dir, &fake{}, func(o *Options) { o.LogDirChosen = true })
	if entries, _ := os.ReadDir(target); len(entries) == 0 {
		t.Error("no log written into the chosen dir")
	}
}
