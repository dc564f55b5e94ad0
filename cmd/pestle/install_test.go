package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestInstallSimulate(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	repoDir := fixture.Path(t, "melange-repo")
	key := fixture.Path(t, "melange-repo", "melange.rsa.pub")
	root := filepath.Join(t.TempDir(), "root")
	want := "(1/2) Installing pretend-baselayout (1.0.0-r0)\n(2/2) Installing replayout (1.0.0-r0)\n"
	for _, flag := range []string{"--simulate", "--dry-run"} {
		out, err := execCLI(t, "install", flag, "--root", root, "--arch", "x86_64", "-r", repoDir, "-k", key, "replayout")
		if err != nil {
			t.Fatalf("%s: %v", flag, err)
		}
		if out != want {
			t.Errorf("%s printed\n%s\nwant\n%s", flag, out, want)
		}
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Errorf("a simulation created the root: %v", err)
	}

	out, err := execCLI(t, "install", "--simulate", "--json", "--arch", "x86_64", "-r", repoDir, "-k", key, "replayout")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Packages []struct {
			Name, Version, Repository string
			Size                      int64
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	if len(got.Packages) != 2 || got.Packages[0].Name != "pretend-baselayout" || got.Packages[1].Name != "replayout" ||
		got.Packages[1].Version != "1.0.0-r0" || got.Packages[1].Repository != repoDir || got.Packages[1].Size <= 0 {
		t.Errorf("--json: %+v", got)
	}

	// Indexes are verified as for a real install.
	other := fixture.Path(t, "alpine-316", "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub")
	if _, err := execCLI(t, "install", "--simulate", "--arch", "x86_64", "-r", repoDir, "-k", other, "replayout"); err == nil ||
		!strings.Contains(err.Error(), "untrusted") {
		t.Errorf("wrong key: %v, want an untrusted index", err)
	}
	if _, err := execCLI(t, "install", "--simulate", "--arch", "x86_64", "-r", repoDir, "-k", key, "no-such-package"); err == nil ||
		!strings.Contains(err.Error(), "no-such-package") {
		t.Errorf("unknown package: %v", err)
	}
	if _, err := execCLI(t, "install", "--json", "--root", root, "-r", repoDir, "-k", key, "replayout"); err == nil ||
		!strings.Contains(err.Error(), "--json goes with --simulate") {
		t.Errorf("--json alone: %v", err)
	}
	if _, err := execCLI(t, "install", "-r", repoDir, "-k", key, "replayout"); err == nil || !strings.Contains(err.Error(), "--root is required") {
		t.Errorf("no --root: %v", err)
	}
}

// TestInstallAddsToARoot installs into a root twice: the second call, with
// no -r or -k, adds its package to the first's (world, database,
// repositories) from the root's repositories and keys, shows only what is
// new, and refuses another architecture.
func TestInstallAddsToARoot(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	repoDir := fixture.Path(t, "melange-repo")
	key := fixture.Path(t, "melange-repo", "melange.rsa.pub")
	root := filepath.Join(t.TempDir(), "root")
	// A relative -r: the root records it as an absolute path.
	t.Chdir(filepath.Dir(repoDir))
	base := []string{"install", "--root", root, "--arch", "x86_64", "-r", filepath.Base(repoDir), "-k", key}
	out, err := execCLI(t, append(base, "replayout")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "2 package(s) in "+root+" (x86_64), 2 new, in ") {
		t.Errorf("first install printed %q", out)
	}
	out, err = execCLI(t, append(base, "--simulate", "custom-ca-certs-1")...)
	if err != nil || out != "(1/1) Installing custom-ca-certs-1 (1.0.0-r0)\n" {
		t.Errorf("simulating the addition: %v %q, want only the new package", err, out)
	}
	// Without -r and -k, from elsewhere: the root's repositories and
	// keys, as apk add.
	t.Chdir(t.TempDir())
	out, err = execCLI(t, "install", "--root", root, "--arch", "x86_64", "custom-ca-certs-1")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.HasPrefix(out, "installed custom-ca-certs-1-1.0.0-r0\n3 package(s) in "+root+" (x86_64), 1 new, in ") {
		t.Errorf("second install printed %q", out)
	}
	db, err := os.ReadFile(filepath.Join(root, "lib/apk/db/installed"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pretend-baselayout", "replayout", "custom-ca-certs-1"} {
		if !strings.Contains(string(db), "P:"+name+"\n") {
			t.Errorf("the database lost %s:\n%s", name, db)
		}
	}
	if world, _ := os.ReadFile(filepath.Join(root, "etc/apk/world")); string(world) != "custom-ca-certs-1\nreplayout\n" {
		t.Errorf("world = %q, want both names", world)
	}
	if repos, _ := os.ReadFile(filepath.Join(root, "etc/apk/repositories")); string(repos) != repoDir+"\n" {
		t.Errorf("repositories = %q, want the absolute path %s", repos, repoDir)
	}
	if _, err := execCLI(t, "install", "--root", root, "--arch", "aarch64", "-r", repoDir, "-k", key, "replayout"); err == nil ||
		!strings.Contains(err.Error(), "is a root for x86_64, not aarch64") {
		t.Errorf("another architecture: %v", err)
	}
}
