package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/build"
)

func writeRecipe(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompileCommand(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "pipelines")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeRecipe(t, pdir, "greet.yaml", "inputs:\n  who: {default: world}\npipeline:\n  - runs: echo hello ${{inputs.who}}\n")
	writeRecipe(t, dir, "vars.yaml", "who: vars-file\n")
	recipe := writeRecipe(t, dir, "melange.yaml", `package:
  name: hello
  version: 1.10
  epoch: 1
options:
  loud:
    vars:
      shout: "yes"
vars:
  shout: "no"
  who: recipe
pipeline:
  - uses: greet
    with:
      who: ${{vars.who}} ${{build.arch}} ${{vars.shout}}
`)
	out, err := execCLI(t, "compile", recipe, "--arch", "arm64", "--pipeline-dir", pdir,
		"--vars-file", filepath.Join(dir, "vars.yaml"), "--build-option", "loud")
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, out)
	}
	var plan struct {
		Arch    string
		Package struct {
			Version     string
			FullVersion string `json:"full-version"`
		}
		Packages []struct {
			Steps []struct {
				Script string
				Line   int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if plan.Arch != "aarch64" || plan.Package.FullVersion != "1.10-r1" {
		t.Errorf("arch %q full-version %q", plan.Arch, plan.Package.FullVersion)
	}
	if s := plan.Packages[0].Steps[0]; s.Script != "echo hello vars-file aarch64 yes" || s.Line != 13 {
		t.Errorf("step = %+v", s)
	}
}

func TestCompileCommandErrors(t *testing.T) {
	dir := t.TempDir()
	recipe := writeRecipe(t, dir, "melange.yaml", `package:
  name: broken
  version: 1.0.0
  epoch: 0
pipline: []
pipeline:
  - run: make
`)
	out, err := execCLI(t, "compile", recipe)
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 {
		t.Fatalf("want exit code 1, got %v", err)
	}
	for _, want := range []string{
		`melange.yaml:5:1: unknown key "pipline" in the top level; did you mean "pipeline"?`,
		`melange.yaml:7:5: unknown key "run" in pipeline[0]; did you mean "runs"?`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(ex.msg, "2 error(s)") {
		t.Errorf("summary %q", ex.msg)
	}
	if _, err := execCLI(t, "compile", filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing recipe compiled")
	}
	if _, err := execCLI(t, "compile", recipe, "--arch", "vax"); err == nil {
		t.Error("unknown arch accepted")
	}
}

// What melange accepts silently compiles here too, with a warning on
// stderr that names the place; the plan on stdout stays clean JSON.
func TestCompileWarnsOnStderr(t *testing.T) {
	recipe := writeRecipe(t, t.TempDir(), "melange.yaml", `package:
  name: hello
  version: 1.0.0
  description: "for ${{package.name} users"
pipeline:
  - runs: "true"
`)
	root := newRoot()
	var stdout, stderr bytes.Buffer
	root.SetOut(&stdout)
	root.SetErr(&stderr)
	root.SetArgs([]string{"compile", recipe, "--arch", "x86_64", "--build-option", "nope"})
	if err := root.Execute(); err != nil {
		t.Fatalf("compile: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{
		`warning: ` + recipe + `:4:16: malformed variable reference "${{package.name} " in package.description is kept as text`,
		`unknown build option "nope" is ignored`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	var plan struct{ Warnings []string }
	if err := json.Unmarshal(stdout.Bytes(), &plan); err != nil || len(plan.Warnings) != 2 {
		t.Errorf("stdout is not the plan with 2 warnings (%v): %s", err, stdout.String())
	}
}

// TestRecipeInTheCurrentDir: like build, compile, package-version and
// test take the recipe of the current directory when none is given.
func TestRecipeInTheCurrentDir(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"compile"}, {"package-version"}, {"test"}} {
		if _, err := execCLI(t, args...); err == nil || !strings.Contains(err.Error(), "no recipe given and none of .melange.yaml") {
			t.Errorf("%q in an empty dir: %v", args, err)
		}
	}
	recipe := "package: {name: here, version: 1.2.3, epoch: 4}\nenvironment: {contents: {packages: [busybox]}}\npipeline: [{runs: 'true'}]\n"
	if err := os.WriteFile("melange.yaml", []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := execCLI(t, "package-version"); err != nil || out != "here-1.2.3-r4" {
		t.Errorf("package-version: %q, %v", out, err)
	}
	if out, err := execCLI(t, "compile"); err != nil || !strings.Contains(out, `"name": "here"`) {
		t.Errorf("compile: %v\n%s", err, out)
	}
	old := runTests
	defer func() { runTests = old }()
	var got string
	runTests = func(_ *cobra.Command, o build.Options, _ string, _ []string) error {
		got = o.Recipe
		return nil
	}
	if _, err := execCLI(t, "test"); err != nil || got != "melange.yaml" {
		t.Errorf("test: recipe %q, %v", got, err)
	}
}
