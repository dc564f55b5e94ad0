package build

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/pipeline"
)

// resumeRecipe has three steps: the first appends a line to ran-first in
// the workspace, the second runs second, the third packs ran-first.
func resumeRecipe(first, second string) string {
	return busyboxRecipe("resumed") + "pipeline:\n" +
		"  - name: first\n    runs: |\n      " + first + "\n      echo once >> ran-first\n" +
		"  - name: second\n    runs: " + second + "\n" +
		"  - name: third\n    runs: |\n      mkdir -p ${{targets.destdir}}/usr/share\n      cp ran-first ${{targets.destdir}}/usr/share/ran-first\n"
}

func TestResume(t *testing.T) {
	tb := newTestBuild(t, resumeRecipe("true", "exit 5"))
	var logs fixture.SyncBuffer
	tb.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tb.opts.ResumeFlags = []string{"--signing-key=my key.rsa", "--network=off"}
	_, err := tb.run(t)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "second" || se.Index != 1 || se.Resume == "" {
		t.Fatalf("first build: %v", err)
	}
	// The hint repeats the build's flags, quoted for the shell.
	if want := "pestle build --resume " + pipeline.QuoteArg(tb.opts.Recipe) + " '--signing-key=my key.rsa' --network=off continues from this step"; !strings.Contains(err.Error(), want) {
		t.Errorf("the error does not say how to resume (%q): %v", want, err)
	}
	tb.opts.ResumeFlags = nil

	// The failed step is fixed: the build goes on from it, in the kept
	// workspace, so the first step does not run again.
	write := func(recipe string) {
		if err := os.WriteFile(tb.opts.Recipe, []byte(recipe), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(resumeRecipe("true", "true"))
	tb.opts.Resume = true
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("resumed build: %v\n%s", err, logs.String())
	}
	if !strings.Contains(logs.String(), "resuming the failed build") || !strings.Contains(logs.String(), "step=second") {
		t.Errorf("the log does not say which step it resumed from:\n%s", logs.String())
	}
	if got := ranFirst(t, res); got != "once\n" {
		t.Errorf("ran-first = %q: the first step ran again", got)
	}
	if path, _ := resumePath(&tb.opts, res.Arch); fileExists(path) {
		t.Error("the resume state outlived a successful build")
	}

	// A change before the failed step means a fresh build, and why.
	write(resumeRecipe("true", "exit 5"))
	tb.opts.Resume = false
	if _, err := tb.run(t); !errors.As(err, &se) {
		t.Fatalf("failing again: %v", err)
	}
	write(resumeRecipe("echo changed", "true"))
	tb.opts.Resume = true
	logs.Reset()
	res, err = tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "cannot resume") || !strings.Contains(logs.String(), `the recipe changed before the failed step \"second\"`) {
		t.Errorf("the log does not say why the build started afresh:\n%s", logs.String())
	}
	if got := ranFirst(t, res); got != "once\n" {
		t.Errorf("ran-first = %q after a fresh build", got)
	}

	// --resume with nothing kept builds afresh, saying so.
	logs.Reset()
	if _, err := tb.run(t); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "no failed build of") {
		t.Errorf("log:\n%s", logs.String())
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// ranFirst is the content of usr/share/ran-first in the built package.
func ranFirst(t *testing.T, res *Result) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "usr/share/ran-first"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCollectDeadLeavesKeptDirs(t *testing.T) {
	parent := t.TempDir()
	kept := filepath.Join(parent, scratchPrefix+strconv.Itoa(deadPid(t))+"-kept")
	if err := os.MkdirAll(filepath.Join(kept, "workspace"), 0o755); err != nil {
		t.Fatal(err)
	}
	markKept(kept)
	collectDead(parent, scratchPrefix, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(filepath.Join(kept, "workspace")); err != nil {
		t.Errorf("a dir kept for --resume was collected: %v", err)
	}
}
