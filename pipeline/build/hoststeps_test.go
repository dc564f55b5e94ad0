package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The steps pestle runs on the host (fetch, git-checkout) read and write
// only the workspace as the steps see it: no symlink a step made, no path
// outside /home/build, no FIFO leads them elsewhere or blocks them. A
// file of the recipe's folder is found, also through a workspace overlay.
func TestHostStepsStayInTheWorkspace(t *testing.T) {
	needSandbox(t)
	target := t.TempDir() // where a symlink of a step points
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fetch := func(uri, wd string) string {
		s := "  - uses: fetch\n"
		if wd != "" {
			s += "    working-directory: " + wd + "\n"
		}
		return s + "    with:\n      uri: " + uri + "\n      expected-none: true\n      extract: false\n"
	}
	escape := strings.Repeat("../", 12) + strings.TrimPrefix(secret, "/")
	for _, c := range []struct {
		name, steps, want string // want "" for a build that passes
	}{
		{"symlinked working dir", "  - runs: ln -s " + target + " sub\n" + fetch("local.txt", "sub"), "sub is a symlink"},
		{"symlinked file", "  - runs: ln -s " + secret + " alias\n" + fetch("alias", ""), "alias is a symlink"},
		{"host file", fetch("file://"+secret, ""), "outside the workspace"},
		{"host path", fetch(secret, ""), "outside the workspace"},
		{"relative escape", fetch(escape, ""), "outside the workspace"},
		{"FIFO", "  - runs: mkfifo pipe\n" + fetch("pipe", ""), "not a regular file"},
		{"removed by a step", "  - runs: rm local.txt\n" + fetch("local.txt", ""), "does not exist"},
		{"recipe folder", "  - runs: mkdir -p in\n" + fetch("../local.txt", "in") + fetch("/home/build/local.txt", "") +
			"  - runs: |\n      mkdir -p ${{targets.destdir}}/usr/share\n      cat in/local.txt local.txt > ${{targets.destdir}}/usr/share/both\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBuild(t, busyboxRecipe("host-steps")+"pipeline:\n"+c.steps)
			tb.opts.Keep = false
			if err := os.WriteFile(filepath.Join(tb.srcDir, "local.txt"), []byte("from the recipe folder\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := tb.run(t)
			if c.want == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, tb.out.String())
				}
				_, files := contents(t, res.Packages[0].Path, tb.opts.SigningKey+".pub")
				if fmt.Sprint(files) != "[usr/share/both]" {
					t.Errorf("package holds %v", files)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one saying %q\n%s", err, c.want, tb.out.String())
			}
		})
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("a host-side step wrote through a step's symlink: %v", entries)
	}
}

// The cache dir is mounted read-write: one nobody chose (melange's
// ./melange-cache/, which may come with a folder of recipes) is refused
// as a symlink, which could give the steps any host dir. One the user
// names with --cache-dir is theirs to point anywhere.
func TestDefaultCacheDirSymlinkRefused(t *testing.T) {
	needSandbox(t)
	target := t.TempDir()
	recipe := busyboxRecipe("cache-link") + "pipeline:\n  - runs: echo step > /var/cache/melange/written\n"
	tb := newTestBuild(t, recipe)
	if err := os.Symlink(target, tb.opts.CacheDir); err != nil {
		t.Fatal(err)
	}
	_, err := tb.run(t)
	if err == nil || !strings.Contains(err.Error(), "is a symlink") || !strings.Contains(err.Error(), "--cache-dir") {
		t.Fatalf("err = %v, want the symlink refused with the flag that allows it", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("a step wrote through the refused cache dir: %v", entries)
	}
	tb.opts.CacheDirChosen = true
	if _, err := tb.run(t); err != nil {
		t.Fatalf("a chosen cache dir: %v\n%s", err, tb.out.String())
	}
	if b, err := os.ReadFile(filepath.Join(target, "written")); err != nil || string(b) != "step\n" {
		t.Errorf("the chosen cache dir was not mounted: %q, %v", b, err)
	}
}
