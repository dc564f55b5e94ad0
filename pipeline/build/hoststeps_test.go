package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/apk"
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

// The default out dir is refused as a symlink, or with a symlinked <arch>
// dir: a folder of recipes could point it at another repository, whose
// index the build would replace with one signed by the user's key.
func TestDefaultOutDirSymlinkRefused(t *testing.T) {
	needSandbox(t)
	recipe := busyboxRecipe("out-link") + "pipeline:\n  - runs: mkdir -p ${{targets.destdir}}/x\n"
	for _, arch := range []bool{false, true} {
		target := t.TempDir()
		tb := newTestBuild(t, recipe)
		link := tb.opts.OutDir
		if arch {
			os.MkdirAll(tb.opts.OutDir, 0o755)
			link = filepath.Join(tb.opts.OutDir, apk.HostArch())
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		_, err := tb.run(t)
		if err == nil || !strings.Contains(err.Error(), "is a symlink") || !strings.Contains(err.Error(), "--out-dir") {
			t.Fatalf("%s: err = %v, want the symlink refused with the flag that allows it", link, err)
		}
		if entries, _ := os.ReadDir(target); len(entries) != 0 {
			t.Fatalf("written through the refused out dir: %v", entries)
		}
		tb.opts.OutDirChosen = true
		if _, err := tb.run(t); err != nil {
			t.Fatalf("a chosen out dir: %v\n%s", err, tb.out.String())
		}
		if entries, _ := os.ReadDir(target); len(entries) == 0 {
			t.Error("nothing written into the chosen out dir")
		}
	}
}

// The build log of --create-build-log in the current folder (a folder of
// recipes) is written only as a regular file: not through a symlink to a
// host file, not into a FIFO.
func TestBuildLogNotThroughLinks(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep\n"), 0o644)
	written := []Written{{Info: &apk.PackageInfo{Name: "p", Version: "1-r0"}}}
	r := Records{BuildLog: true}
	must(t, os.Symlink(victim, "packages.log"))
	if err := r.appendBuildLog("x86_64", "p", written); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("through a symlink: %v", err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep\n" {
		t.Errorf("the link's target became %q", b)
	}
	os.Remove("packages.log")
	must(t, syscall.Mkfifo("packages.log", 0o644))
	if err := r.appendBuildLog("x86_64", "p", written); err == nil {
		t.Error("wrote into a FIFO")
	}
	os.Remove("packages.log")
	for range 2 {
		must(t, r.appendBuildLog("x86_64", "p", written))
	}
	if b, _ := os.ReadFile("packages.log"); string(b) != "x86_64|p|p|1-r0\nx86_64|p|p|1-r0\n" {
		t.Errorf("packages.log = %q", b)
	}
}
