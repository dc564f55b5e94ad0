package build

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/sandbox"
)

// The workspace is the source dir seen through an overlay (as root) or a
// copy: either way the steps see the filtered source dir, what they change
// lands in the package, and the user's source dir stays as it was.
func TestBuildCannotChangeTheSourceDir(t *testing.T) {
	recipe := busyboxRecipe("ws") + `pipeline:
  - runs: |
      out=${{targets.destdir}}/usr/share/ws
      mkdir -p $out
      ls -A | sort | tr '\n' ' ' > $out/listing
      ls -A melange-out | tr '\n' ' ' > $out/outputs
      echo changed > input.txt
      rm sub/keep.txt
      echo new > new.txt
  - runs: |
      out=${{targets.destdir}}/usr/share/ws
      cp input.txt new.txt $out/
      test ! -e sub/keep.txt
`
	tb := newTestBuild(t, recipe)
	src := tb.srcDir
	write(t, filepath.Join(src, "input.txt"), "in\n", 0o644)
	write(t, filepath.Join(src, "sub", "keep.txt"), "keep\n", 0o600)
	write(t, filepath.Join(src, "skip.me"), "x", 0o644)
	write(t, filepath.Join(src, ".melangeignore"), "*.me\n", 0o644)
	write(t, filepath.Join(src, "melange-out", "ws", "stale"), "from an old build", 0o644)
	// The output dir and the signing key live in the source dir.
	tb.opts.OutDir = filepath.Join(src, "packages")
	write(t, filepath.Join(src, "packages", "x86_64", "old.apk"), "old", 0o644)
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	tb.opts.SigningKey = filepath.Join(src, "melange.rsa")
	if err := keys.WritePair(tb.opts.SigningKey, k, false); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, src)
	var log fixture.SyncBuffer
	tb.opts.Logger = slog.New(slog.NewTextHandler(&log, nil))

	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	how := "how=copy"
	if sandbox.CanOverlay() {
		how = "how=overlay"
	}
	if !strings.Contains(log.String(), how) {
		t.Errorf("the workspace was not made by %s:\n%s", how, log.String())
	}
	// A copy says how many files it copied; an overlay copies none and
	// gives no count (not a made-up one).
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "workspace ready") &&
			(strings.Contains(line, "files=-") || strings.Contains(line, " files=") != (how == "how=copy")) {
			t.Errorf("the workspace line counts files wrongly for %s: %s", how, line)
		}
	}
	dir := t.TempDir()
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "usr/share/ws", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if got, want := read("listing"), ".melangeignore input.txt melange-out melange.rsa.pub melange.yaml sub"; got != want {
		t.Errorf("the step saw the workspace\n  %s\nwant\n  %s", got, want)
	}
	if got := read("outputs"); got != "ws" {
		t.Errorf("the step saw melange-out holding %q, want only this build's ws", got)
	}
	if got := read("input.txt") + " " + read("new.txt"); got != "changed new" {
		t.Errorf("the package holds %q, want the step's changes", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "usr/share/ws/stale")); err == nil {
		t.Errorf("an old build's output leaked into the package")
	}
	after := listTree(t, src)
	// The build adds its package and index to the output dir, nothing else.
	var added []string
	for _, p := range after {
		if !strings.Contains(strings.Join(before, "\n")+"\n", p+"\n") {
			added = append(added, p)
		}
	}
	for _, p := range added {
		if !strings.HasPrefix(p, "packages/") {
			t.Errorf("the build added %s to the source dir", p)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(src, "input.txt")); string(b) != "in\n" {
		t.Errorf("a step changed the source dir's input.txt to %q", b)
	}
	if fi, err := os.Stat(filepath.Join(src, "sub", "keep.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a step removed or changed the source dir's sub/keep.txt: %v", err)
	}
}
