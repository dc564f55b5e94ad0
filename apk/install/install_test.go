package install

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

var update = flag.Bool("update", false, "rewrite golden files")

// melangeRepo returns the fixture repository's packages by name, with the
// path of each file.
func melangeRepo(t *testing.T) (map[string]*apk.PackageInfo, string) {
	t.Helper()
	dir := fixture.Path(t, "melange-repo")
	kr, err := keys.LoadKeyring(filepath.Join(dir, "melange.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.ReadFile(filepath.Join(dir, "x86_64", "APKINDEX.tar.gz"), kr, false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*apk.PackageInfo{}
	for _, p := range ix.Packages {
		out[p.Name] = p
	}
	return out, filepath.Join(dir, "x86_64")
}

func pkgs(t *testing.T, names ...string) []Package {
	idx, dir := melangeRepo(t)
	var out []Package
	for _, n := range names {
		p, ok := idx[n]
		if !ok {
			t.Fatalf("fixture index has no %s", n)
		}
		out = append(out, Package{Info: p, Path: filepath.Join(dir, p.Filename())})
	}
	return out
}

func TestInstallFixtureRepository(t *testing.T) {
	root := t.TempDir()
	keyPEM, err := os.ReadFile(fixture.Path(t, "melange-repo", "melange.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	err = Install(context.Background(), root, pkgs(t, "pretend-baselayout", "replayout", "custom-ca-certs-1"), Options{
		Arch:         "x86_64",
		World:        []string{"replayout", "custom-ca-certs-1"},
		Repositories: []string{"/srv/repo"},
		Keys:         map[string][]byte{"melange.rsa.pub": keyPEM},
	})
	if err != nil {
		t.Fatal(err)
	}
	// replayout replaces pretend-baselayout: its os-release wins and the
	// database lists the file under replayout only.
	osr, err := os.ReadFile(filepath.Join(root, "etc", "os-release"))
	if err != nil {
		t.Fatal(err)
	}
	if len(osr) != 102 {
		t.Errorf("etc/os-release is %d bytes, want replayout's 102", len(osr))
	}
	for _, f := range []string{"usr/local/share/ca-certificates/cert-a.crt", "var/lib/db/sbom/replayout-1.0.0-r0.spdx.json"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	db, err := os.ReadFile(filepath.Join(root, "lib/apk/db/installed"))
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "installed.golden"), db, *update)
	recs := strings.Split(strings.TrimSuffix(string(db), "\n"), "\n\n")
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	if strings.Contains(recs[0], "R:os-release") {
		t.Error("pretend-baselayout still owns etc/os-release after replayout replaced it")
	}
	if !strings.Contains(recs[1], "r:pretend-baselayout\n") || !strings.Contains(recs[1], "F:etc\nR:os-release\na:501:20:644\nZ:Q1") {
		t.Errorf("replayout record lacks its replaces or its os-release entry:\n%s", recs[1])
	}
	if !strings.HasSuffix(string(db), "\n\n") {
		t.Error("installed db does not end with a blank line")
	}
	for name, want := range map[string]string{
		"etc/apk/world":        "custom-ca-certs-1\nreplayout\n",
		"etc/apk/arch":         "x86_64\n",
		"etc/apk/repositories": "/srv/repo\n",
	} {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(root, "etc/apk/keys/melange.rsa.pub")); !bytes.Equal(got, keyPEM) {
		t.Error("etc/apk/keys/melange.rsa.pub is not the key")
	}
	st, err := os.Stat(filepath.Join(root, "lib/apk/db/lock"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("lib/apk/db/lock: %v, mode %v", err, st)
	}
	// scripts.tar is a valid (empty) tar: none of these packages has scripts.
	f, err := os.Open(filepath.Join(root, "lib/apk/db/scripts.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tar.NewReader(f).Next(); err == nil {
		t.Error("scripts.tar has entries")
	}
}

func TestInstallRejectsWrongChecksum(t *testing.T) {
	p := pkgs(t, "pretend-baselayout")
	bad := *p[0].Info
	bad.Checksum = append([]byte(nil), bad.Checksum...)
	bad.Checksum[0] ^= 1
	p[0].Info = &bad
	err := Install(context.Background(), t.TempDir(), p, Options{})
	if !errors.Is(err, apk.ErrCorrupted) {
		t.Fatalf("error %v, want a corrupted (identity) error", err)
	}
}

// writePkg packs tree files (name -> content; a value starting with "->"
// makes a symlink) into a package file and returns it ready to install.
func writePkg(t *testing.T, info *apk.PackageInfo, files map[string]string, scripts map[string][]byte) Package {
	t.Helper()
	tree := t.TempDir()
	for name, content := range files {
		p := filepath.Join(tree, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), info.Filename())
	if err := apk.WriteFile(out, tree, info, apk.WriteOptions{Scripts: scripts}); err != nil {
		t.Fatal(err)
	}
	return Package{Info: info, Path: out}
}

func TestInstallConflict(t *testing.T) {
	a := writePkg(t, &apk.PackageInfo{Name: "a", Version: "1-r0", Arch: "x86_64"}, map[string]string{"etc/motd": "a"}, nil)
	b := writePkg(t, &apk.PackageInfo{Name: "b", Version: "1-r0", Arch: "x86_64"}, map[string]string{"etc/motd": "b"}, nil)
	err := Install(context.Background(), t.TempDir(), []Package{a, b}, Options{})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "etc/motd") || !strings.Contains(err.Error(), `add "a" to the replaces of b`) {
		t.Fatalf("error %v, want a conflict naming etc/motd and the fix", err)
	}
	// Same origin may move files between packages.
	c := writePkg(t, &apk.PackageInfo{Name: "c", Version: "1-r0", Origin: "o"}, map[string]string{"etc/motd": "c"}, nil)
	d := writePkg(t, &apk.PackageInfo{Name: "d", Version: "1-r0", Origin: "o"}, map[string]string{"etc/motd": "d"}, nil)
	if err := Install(context.Background(), t.TempDir(), []Package{c, d}, Options{}); err != nil {
		t.Fatalf("same-origin move: %v", err)
	}
}

func TestInstallScriptsAndTriggers(t *testing.T) {
	root := t.TempDir()
	info := &apk.PackageInfo{Name: "svc", Version: "2.0-r1", Arch: "x86_64", Triggers: []string{"/usr/share/fonts/*"}}
	p := writePkg(t, info, map[string]string{"usr/bin/svc": "#!/bin/sh\n", "usr/bin/svc-link": "->svc"}, map[string][]byte{
		".post-install": []byte("#!/bin/sh\necho hi\n"),
		".trigger":      []byte("#!/bin/sh\nfc-cache\n"),
	})
	if err := Install(context.Background(), root, []Package{p}, Options{}); err != nil {
		t.Fatal(err)
	}
	// Scripts are recorded, not run, and never extracted into the root.
	f, err := os.Open(filepath.Join(root, "lib/apk/db/scripts.tar"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Mode != 0o755 {
			t.Errorf("%s mode %o, want 755", h.Name, h.Mode)
		}
	}
	q := q1(info.Checksum)
	want := []string{"svc-2.0-r1." + q + ".post-install", "svc-2.0-r1." + q + ".trigger"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("scripts.tar has %v, want %v", names, want)
	}
	trig, _ := os.ReadFile(filepath.Join(root, "lib/apk/db/triggers"))
	if string(trig) != q+" /usr/share/fonts/*\n" {
		t.Errorf("triggers = %q", trig)
	}
	db, _ := os.ReadFile(filepath.Join(root, "lib/apk/db/installed"))
	if !strings.Contains(string(db), "F:usr/bin\nR:svc\nZ:Q1") || !strings.Contains(string(db), "R:svc-link\na:0:0:777\nZ:Q1") {
		t.Errorf("installed db misses the file or symlink entries:\n%s", db)
	}
}

// A package that makes lib a symlink to a host directory must not get the
// database written through it.
func TestInstallDatabaseNotWrittenThroughSymlink(t *testing.T) {
	outside := t.TempDir()
	root := t.TempDir()
	p := writePkg(t, &apk.PackageInfo{Name: "evil", Version: "1-r0"}, map[string]string{"lib": "->" + outside}, nil)
	err := Install(context.Background(), root, []Package{p}, Options{})
	if err == nil {
		t.Fatal("install through an escaping lib symlink succeeded")
	}
	ents, _ := os.ReadDir(outside)
	if len(ents) != 0 {
		t.Fatalf("files were written outside the root: %v", ents)
	}
}
