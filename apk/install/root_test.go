package install

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

// TestReadRoot reads back what Install wrote: packages and versions,
// world, arch and repositories; a directory without a database is a new
// root.
func TestReadRoot(t *testing.T) {
	for _, dir := range []string{filepath.Join(t.TempDir(), "missing"), t.TempDir()} {
		if e, err := ReadRoot(dir); e != nil || err != nil {
			t.Errorf("%s: %+v, %v; want a new root (nil, nil)", dir, e, err)
		}
	}
	root := t.TempDir()
	err := Install(context.Background(), root, pkgs(t, "pretend-baselayout", "replayout"), Options{
		Arch: "x86_64", World: []string{"replayout"}, Repositories: []string{"/srv/a", "https://b.example/os"},
		Keys: map[string][]byte{"a.rsa.pub": []byte("-----BEGIN PUBLIC KEY-----\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/apk/repositories"), []byte("# kept by hand\n/srv/a\n\nhttps://b.example/os\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := ReadRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	want := &Existing{
		Packages:     map[string]string{"pretend-baselayout": "1.0.0-r0", "replayout": "1.0.0-r0"},
		World:        []string{"replayout"},
		Arch:         "x86_64",
		Repositories: []string{"/srv/a", "https://b.example/os"},
		Keys:         map[string][]byte{"a.rsa.pub": []byte("-----BEGIN PUBLIC KEY-----\n")},
	}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("ReadRoot = %+v, want %+v", e, want)
	}
	if got := e.Add([]string{"custom-ca-certs-1", "replayout"}); strings.Join(got, " ") != "replayout custom-ca-certs-1" {
		t.Errorf("Add = %v, want the root's world, then the new name", got)
	}
	if got := e.Add([]string{"replayout=1.0.0-r0", "x"}); strings.Join(got, " ") != "replayout=1.0.0-r0 x" {
		t.Errorf("Add = %v, want the constraint in the place of the name", got)
	}
	if got := e.addRepositories([]string{"/srv/c", "/srv/a"}); strings.Join(got, " ") != "/srv/a https://b.example/os /srv/c" {
		t.Errorf("addRepositories = %v", got)
	}
}

// TestReadRootRefusesSpecialFiles: a database file that is a symlink (here
// to a file outside the root) or not a regular file is an error, never
// followed.
func TestReadRootRefusesSpecialFiles(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "installed")
	if err := os.WriteFile(outside, []byte("P:evil\nV:1-r0\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, mk := range map[string]func(string) error{
		"symlink":   func(p string) error { return os.Symlink(outside, p) },
		"directory": func(p string) error { return os.Mkdir(p, 0o755) },
	} {
		root := t.TempDir()
		db := filepath.Join(root, "lib/apk/db/installed")
		if err := os.MkdirAll(filepath.Dir(db), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := mk(db); err != nil {
			t.Fatal(err)
		}
		if e, err := ReadRoot(root); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %+v, %v; want an error", name, e, err)
		}
	}
}

// TestReadRootKeys: what is in etc/apk/keys must be small regular files;
// a symlink (here to a file outside the root), a FIFO (which would block
// a reader) or a huge file is an error, never read.
func TestReadRootKeys(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("not for the root\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mk   func(string) error
		want string
	}{
		"symlink":  {func(p string) error { return os.Symlink(outside, p) }, "not a regular file"},
		"fifo":     {func(p string) error { return syscall.Mkfifo(p, 0o644) }, "not a regular file"},
		"huge":     {func(p string) error { return os.WriteFile(p, make([]byte, maxRootKey+1), 0o644) }, "not a public key"},
		"keys dir": {nil, "etc/apk/keys is not a directory"},
	} {
		root := t.TempDir()
		if err := Install(context.Background(), root, pkgs(t, "pretend-baselayout"), Options{Arch: "x86_64", World: []string{"pretend-baselayout"}}); err != nil {
			t.Fatal(err)
		}
		keysDir := filepath.Join(root, "etc/apk/keys")
		os.RemoveAll(keysDir)
		var err error
		if tc.mk == nil {
			err = os.WriteFile(keysDir, nil, 0o644)
		} else if err = os.MkdirAll(keysDir, 0o755); err == nil {
			err = tc.mk(filepath.Join(keysDir, "k.rsa.pub"))
		}
		if err != nil {
			t.Fatal(err)
		}
		if e, err := ReadRoot(root); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %+v, %v; want an error saying %q", name, e, err, tc.want)
		}
	}
}

// TestKeeps: adding to a root may bring packages, never upgrade or remove
// one it has.
func TestKeeps(t *testing.T) {
	e := &Existing{Packages: map[string]string{"a": "1-r0", "b": "2-r0", "c": "3-r0"}}
	info := func(name, version string) *apk.PackageInfo { return &apk.PackageInfo{Name: name, Version: version} }
	if err := e.Keeps([]*apk.PackageInfo{info("a", "1-r0"), info("b", "2-r0"), info("c", "3-r0"), info("d", "1-r0")}); err != nil {
		t.Errorf("a superset at the same versions: %v", err)
	}
	err := e.Keeps([]*apk.PackageInfo{info("a", "1-r1"), info("c", "3-r0")})
	if !errors.Is(err, ErrWouldChange) {
		t.Fatalf("err = %v, want ErrWouldChange", err)
	}
	for _, want := range []string{"a-1-r0 (it would become 1-r1)", "b-2-r0 (it would go)", "name them: a=1-r0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "c-3-r0") {
		t.Errorf("%v names a package that stays", err)
	}
	got := e.New([]*apk.PackageInfo{info("a", "1-r0"), info("d", "1-r0"), info("b", "2-r1")})
	if len(got) != 2 || got[0].Name != "d" || got[1].Name != "b" {
		t.Errorf("New = %v, want d and the other version of b", got)
	}
	var none *Existing
	if got := none.New([]*apk.PackageInfo{info("a", "1-r0")}); len(got) != 1 {
		t.Errorf("a new root: New = %v, want everything", got)
	}
}
