package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// indexTestKey writes a 2048-bit key pair named name into dir.
func indexTestKey(t *testing.T, dir, name string) (string, *keys.Keyring) {
	t.Helper()
	priv, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := keys.WritePair(path, priv, false); err != nil {
		t.Fatal(err)
	}
	kr, err := keys.LoadKeyring(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return path, kr
}

func TestIndexCommand(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	fx := fixture.Path(t, "melange-repo", "x86_64")
	apks, _ := filepath.Glob(filepath.Join(fx, "*.apk"))
	if len(apks) != 3 {
		t.Fatalf("fixture packages: %v", apks)
	}
	dir := t.TempDir()
	key, kr := indexTestKey(t, dir, "repo.rsa")
	out := filepath.Join(dir, "x86_64", "APKINDEX.tar.gz")

	stdout, err := execCLI(t, append([]string{"index", "-o", out, "--signing-key", key, "--description", "test repo"}, apks...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "indexed 3 package(s)") || !strings.Contains(stdout, "signed with repo.rsa.pub") {
		t.Errorf("output: %q", stdout)
	}
	ix, err := index.ReadFile(out, kr, false)
	if err != nil {
		t.Fatal(err)
	}
	melange, err := index.ReadFile(filepath.Join(fx, "APKINDEX.tar.gz"), nil, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ix.Packages {
		q := melange.Find(p.Name, p.Version)
		if q == nil || !bytes.Equal(p.Checksum, q.Checksum) || p.FileSize != q.FileSize {
			t.Errorf("%s: C:/S: differ from melange's index", p.Name)
		}
	}
	if ix.Description != "test repo" {
		t.Errorf("description %q", ix.Description)
	}
	first, _ := os.ReadFile(out)
	if _, err := execCLI(t, append([]string{"index", "-o", out, "--signing-key", key, "--description", "test repo"}, apks...)...); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, first) {
		t.Error("indexing the same packages twice gave different bytes")
	}

	// Another arch: every package skipped, with a message.
	other := filepath.Join(dir, "aarch64", "APKINDEX.tar.gz")
	stdout, err = execCLI(t, "index", "-a", "arm64", "-o", other, apks[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "skipped") || !strings.Contains(stdout, "architecture x86_64, expected aarch64") {
		t.Errorf("arch skip output: %q", stdout)
	}

	// Merge: one package into an index made of another.
	merged := filepath.Join(dir, "merged", "APKINDEX.tar.gz")
	if _, err := execCLI(t, "index", "-o", merged, apks[0]); err != nil {
		t.Fatal(err)
	}
	stdout, err = execCLI(t, "index", "-m", "-o", merged, apks[1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "(2 in the index, unsigned)") {
		t.Errorf("merge output: %q", stdout)
	}
	// As in melange, --source without --merge is ignored: the index is
	// made from the packages given only.
	if stdout, err := execCLI(t, "index", "-s", merged, "-o", merged, apks[1]); err != nil || !strings.Contains(stdout, "(1 in the index, unsigned)") {
		t.Errorf("--source without --merge: %q, %v", stdout, err)
	}
	if _, err := execCLI(t, "index", "-o", merged); err == nil {
		t.Error("no package files accepted")
	}
}

func TestSignIndexCommand(t *testing.T) {
	dir := t.TempDir()
	key, kr := indexTestKey(t, dir, "first.rsa")
	key2, kr2 := indexTestKey(t, dir, "second.rsa")
	fx := fixture.Path(t, "melange-repo", "x86_64")
	apks, _ := filepath.Glob(filepath.Join(fx, "*.apk"))
	path := filepath.Join(dir, "APKINDEX.tar.gz")
	if _, err := execCLI(t, append([]string{"index", "-o", path}, apks...)...); err != nil {
		t.Fatal(err)
	}

	stdout, err := execCLI(t, "sign-index", "--signing-key", key, path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "signed "+path+" with first.rsa.pub") {
		t.Errorf("output %q", stdout)
	}
	if _, err := index.ReadFile(path, kr, false); err != nil {
		t.Fatal(err)
	}
	signed, _ := os.ReadFile(path)

	stdout, err = execCLI(t, "sign-index", "--signing-key", key2, path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "already signed (by first.rsa.pub): left alone") {
		t.Errorf("output %q", stdout)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, signed) {
		t.Error("the index changed without --force")
	}

	stdout, err = execCLI(t, "sign-index", "-f", "--signing-key", key2, path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "removed the signature(s) of first.rsa.pub") {
		t.Errorf("output %q", stdout)
	}
	ix, err := index.ReadFile(path, kr2, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Signatures) != 1 || ix.SignedBy != "second.rsa.pub" {
		t.Errorf("after --force: %+v", ix.Signatures)
	}

	t.Chdir(dir)
	if _, err := execCLI(t, "sign-index", path); err == nil || !strings.Contains(err.Error(), "pestle keygen melange.rsa") {
		t.Errorf("default key missing: %v", err)
	}
}
