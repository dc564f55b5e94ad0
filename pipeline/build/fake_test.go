package build

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/sandbox"
)

// fakeRunner is a sandbox.Runner that runs nothing: it records each
// call, and a step whose script holds a marker of do gets that action
// (on the host, in the workspace) instead of a shell. It lets the tests
// of the orchestration run without bwrap or busybox.
type fakeRunner struct {
	mu     sync.Mutex
	events []string
	spec   sandbox.Spec
	// do maps a marker in a step's script to what the step does.
	do map[string]func(workspace string) error
}

var _ sandbox.Runner = (*fakeRunner)(nil)

func (f *fakeRunner) record(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fmt.Sprintf(format, args...))
}

func (f *fakeRunner) Start(ctx context.Context, spec sandbox.Spec) error {
	var outs []string
	ents, _ := os.ReadDir(filepath.Join(spec.Workspace, "melange-out"))
	for _, e := range ents {
		outs = append(outs, e.Name())
	}
	f.spec = spec
	f.record("start melange-out=%s", strings.Join(outs, ","))
	return nil
}

func (f *fakeRunner) Run(ctx context.Context, cmd sandbox.Command) error {
	for marker, do := range f.do {
		if strings.Contains(cmd.Script, marker) {
			f.record("run %s", marker)
			return do(f.spec.Workspace)
		}
	}
	f.record("run (no marker)")
	return nil
}

func (f *fakeRunner) Close() error {
	f.record("close")
	return nil
}

// writeOut is a step that writes a file into melange-out/<pkg>.
func writeOut(pkg, rel, content string) func(string) error {
	return func(ws string) error {
		p := filepath.Join(ws, "melange-out", pkg, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(content), 0o644)
	}
}

// fakeBuild is a build of recipe against a repository holding one
// package, "base" (a data-only tree: no /bin/sh, nothing runs), with
// runner as the sandbox.
func fakeBuild(t *testing.T, recipe string, runner *fakeRunner) Options {
	t.Helper()
	tmp := t.TempDir()
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	repoDir, keyDir := filepath.Join(tmp, "repo"), filepath.Join(tmp, "keys")
	if err := os.MkdirAll(keyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"repo.rsa", "out.rsa"} {
		if err := keys.WritePair(filepath.Join(keyDir, name), k, false); err != nil {
			t.Fatal(err)
		}
	}
	// The build wants a /bin/sh in the guest; this one never runs.
	tree := filepath.Join(tmp, "base-tree")
	for _, f := range []struct{ name, data string }{{"etc/os-release", "ID=fake\n"}, {"bin/sh", "#!/never/run\n"}} {
		if err := os.MkdirAll(filepath.Join(tree, filepath.Dir(f.name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, f.name), []byte(f.data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	info := &apk.PackageInfo{Name: "base", Version: "1-r0", Arch: apk.HostArch(), Description: "a data-only base",
		Provides: []string{"/bin/sh"}}
	arch := filepath.Join(repoDir, apk.HostArch())
	wopts := apk.WriteOptions{Signer: &keys.Signer{Key: k, Name: "repo.rsa.pub"}}
	if err := apk.WriteFile(filepath.Join(arch, info.Filename()), tree, info, wopts); err != nil {
		t.Fatal(err)
	}
	if err := index.Update(arch, []*apk.PackageInfo{info}, index.UpdateOptions{Signer: &keys.Signer{Key: k, Name: "repo.rsa.pub"}}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(tmp, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "melange.yaml"), []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	sde := int64(0)
	return Options{
		EnvOptions: EnvOptions{
			Recipe:          filepath.Join(src, "melange.yaml"),
			Repositories:    []string{repoDir},
			Keyring:         []string{filepath.Join(keyDir, "repo.rsa.pub")},
			ApkCacheDir:     filepath.Join(tmp, "apkcache"),
			CacheDir:        filepath.Join(tmp, "melange-cache"),
			SourceDateEpoch: &sde,
			Runner:          runner,
		},
		OutDir:     filepath.Join(tmp, "packages"),
		SigningKey: filepath.Join(keyDir, "out.rsa"),
	}
}

const fakeRecipe = `package:
  name: foo
  version: 1.0.0
  epoch: 0
environment:
  contents:
    packages: [base]
pipeline:
  - runs: "# step-one"
  - runs: "# step-two"
subpackages:
  - name: foo-doc
    pipeline:
      - runs: "# step-doc"
test:
  environment:
    contents:
      packages: [base]
  pipeline:
    - runs: "# test-foo"
`

// outFiles lists the files of the build's <out>/<arch>, but for the
// lock file of index updates.
func outFiles(t *testing.T, opts Options) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(opts.OutDir, apk.HostArch()))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != ".pestle.lock" {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestBuildPhases: the sandbox starts once the workspace has every
// package's melange-out dir, the steps run in recipe order (main package,
// then subpackages), the sandbox is closed, and the packages and index
// are written with what the steps left in melange-out.
func TestBuildPhases(t *testing.T) {
	r := &fakeRunner{do: map[string]func(string) error{
		"step-one": writeOut("foo", "usr/share/foo/one", "1\n"),
		"step-two": writeOut("foo", "usr/share/foo/two", "2\n"),
		"step-doc": writeOut("foo-doc", "usr/share/doc/foo/README", "read me\n"),
	}}
	opts := fakeBuild(t, fakeRecipe, r)
	res, err := Build(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"start melange-out=foo,foo-doc", "run step-one", "run step-two", "run step-doc", "close"}
	if !slices.Equal(r.events, want) {
		t.Errorf("runner saw %q, want %q", r.events, want)
	}
	if got, want := outFiles(t, opts), []string{".APKINDEX.tar.gz.seg", "APKINDEX.tar.gz", "foo-1.0.0-r0.apk", "foo-doc-1.0.0-r0.apk"}; !slices.Equal(got, want) {
		t.Errorf("wrote %q, want %q", got, want)
	}
	if len(res.Packages) != 2 || res.Packages[0].Info.Name != "foo" || res.Packages[1].Info.Name != "foo-doc" {
		t.Fatalf("packages %+v", res.Packages)
	}
	if res.Index != filepath.Join(opts.OutDir, apk.HostArch(), index.FileName) {
		t.Errorf("index %q", res.Index)
	}
	for i, files := range [][]string{{"usr/share/foo/one", "usr/share/foo/two"}, {"usr/share/doc/foo/README"}} {
		var got []string
		_, err := apk.ReadFile(res.Packages[i].Path, apk.ReadOptions{OnEntry: func(e apk.Entry) error {
			if e.Type == tar.TypeReg && !strings.HasPrefix(e.Name, "var/lib/db/sbom/") {
				got = append(got, e.Name)
			}
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, files) {
			t.Errorf("%s holds %q, want %q", res.Packages[i].Info.Name, got, files)
		}
	}
}

// TestBuildStepFails: a failing step stops the build there (later steps
// never run), the sandbox is closed, the error names the step, and the
// output directory is left untouched.
func TestBuildStepFails(t *testing.T) {
	r := &fakeRunner{do: map[string]func(string) error{
		"step-one": writeOut("foo", "usr/share/foo/one", "1\n"),
		"step-two": func(string) error { return &sandbox.ExitError{Code: 3} },
		"step-doc": writeOut("foo-doc", "usr/share/doc/foo/README", "read me\n"),
	}}
	opts := fakeBuild(t, fakeRecipe, r)
	_, err := Build(t.Context(), opts)
	var se *StepError
	if !errors.As(err, &se) || se.Package != "foo" || se.Index != 1 || se.Line != 10 {
		t.Fatalf("err = %#v, want a StepError for step 2 of foo at line 10", err)
	}
	if !strings.Contains(err.Error(), "with exit code 3") {
		t.Errorf("error %q does not give the exit code", err)
	}
	want := []string{"start melange-out=foo,foo-doc", "run step-one", "run step-two", "close"}
	if !slices.Equal(r.events, want) {
		t.Errorf("runner saw %q, want %q", r.events, want)
	}
	if got := outFiles(t, opts); len(got) != 0 {
		t.Errorf("a failed build wrote %q", got)
	}
}

// TestTestPhases: Test opens a session per package with a test, with
// the package installed from the repositories, runs its steps, closes it,
// and reports a failing step as that package's failure.
func TestTestPhases(t *testing.T) {
	r := &fakeRunner{do: map[string]func(string) error{"step-one": writeOut("foo", "usr/share/foo/one", "1\n")}}
	opts := fakeBuild(t, fakeRecipe, r)
	if _, err := Build(t.Context(), opts); err != nil {
		t.Fatal(err)
	}
	built := outFiles(t, opts)
	tr := &fakeRunner{do: map[string]func(string) error{
		"test-foo": func(string) error { return &sandbox.ExitError{Code: 1} },
	}}
	topts := TestOptions{EnvOptions: opts.EnvOptions}
	topts.Runner = tr
	topts.Repositories = append(topts.Repositories, opts.OutDir)
	topts.Keyring = append(topts.Keyring, opts.SigningKey+".pub")
	rep, err := Test(t.Context(), topts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Package != "foo" || rep.Failed() != 1 {
		t.Fatalf("results %+v", rep.Results)
	}
	var se *StepError
	if !errors.As(rep.Results[0].Err, &se) || se.Step != "# test-foo" {
		t.Errorf("foo's test failed with %v, want its step", rep.Results[0].Err)
	}
	want := []string{"start melange-out=foo", "run test-foo", "close"}
	if !slices.Equal(tr.events, want) {
		t.Errorf("runner saw %q, want %q", tr.events, want)
	}
	if got := outFiles(t, opts); !slices.Equal(got, built) {
		t.Errorf("the output directory changed from %q to %q", built, got)
	}
}

// TestBuildArches: one build per architecture, in order, each reported
// as it ends; a failing one does not stop the next.
func TestBuildArches(t *testing.T) {
	r := &fakeRunner{do: map[string]func(string) error{"step-one": writeOut("foo", "one", "1\n")}}
	opts := fakeBuild(t, fakeRecipe, r)
	var seen []string
	rs := BuildArches(t.Context(), opts, []string{"sparc", apk.HostArch()}, func(r ArchResult) { seen = append(seen, r.Arch) })
	if !slices.Equal(seen, []string{"sparc", apk.HostArch()}) || len(rs) != 2 {
		t.Fatalf("reported %q, returned %d results", seen, len(rs))
	}
	if rs[0].Err == nil || !strings.Contains(rs[0].Err.Error(), "sparc") {
		t.Errorf("sparc: %v, want an error naming it", rs[0].Err)
	}
	if rs[1].Err != nil || rs[1].Result == nil || len(rs[1].Result.Packages) != 2 {
		t.Errorf("%s: %+v, %v", apk.HostArch(), rs[1].Result, rs[1].Err)
	}
}
