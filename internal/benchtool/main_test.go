package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// TestMakePackages checks that the packages read back as valid, signed
// packages with the intended metadata, and that a second run gives the
// same bytes.
func TestMakePackages(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "bench.rsa")
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WritePair(keyFile, k, false); err != nil {
		t.Fatal(err)
	}
	kr, err := keys.LoadKeyring(keyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pkgs")
	if err := makePackages(out, 6, keyFile); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 6 {
		t.Fatalf("wrote %d files, want 6", len(ents))
	}
	for i := range 6 {
		want := pkgInfo(i, 6)
		path := filepath.Join(out, want.Filename())
		p, err := apk.ReadFile(path, apk.ReadOptions{Keyring: kr})
		if err != nil {
			t.Fatalf("package %d: %v", i, err)
		}
		if p.Info.Name != want.Name || p.Info.Version != want.Version || p.Info.Origin != want.Origin {
			t.Errorf("package %d: got %s-%s (origin %s), want %s-%s (origin %s)", i,
				p.Info.Name, p.Info.Version, p.Info.Origin, want.Name, want.Version, want.Origin)
		}
	}

	// Same inputs, same bytes.
	first, err := os.ReadFile(filepath.Join(out, pkgInfo(3, 6).Filename()))
	if err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again")
	if err := makePackages(again, 6, keyFile); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(filepath.Join(again, pkgInfo(3, 6).Filename()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two runs wrote different bytes for the same package")
	}
}
