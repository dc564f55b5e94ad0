package install

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/apk/resolve"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

func TestSelectAndInstallFromFixtureRepository(t *testing.T) {
	req := Request{
		World:        []string{"replayout"},
		Repositories: []string{fixture.Path(t, "melange-repo")},
		Keyring:      []string{fixture.Path(t, "melange-repo", "melange.rsa.pub")},
		Repo:         repo.Options{Arch: "x86_64", CacheDir: t.TempDir()},
	}
	sel, err := Select(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range sel.Packages {
		names = append(names, p.Name)
	}
	if strings.Join(names, " ") != "pretend-baselayout replayout" {
		t.Fatalf("selected %v, want the dependency first", names)
	}
	root := t.TempDir()
	if err := sel.Install(context.Background(), root, "x86_64"); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, "etc/apk/world")); string(got) != "replayout\n" {
		t.Errorf("world %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/apk/keys/melange.rsa.pub")); err != nil {
		t.Errorf("key not installed: %v", err)
	}

	req.World = []string{"no-such-package"}
	var rerr *resolve.Error
	if _, err := Select(context.Background(), req); !errors.As(err, &rerr) {
		t.Errorf("unknown package: %v, want a *resolve.Error", err)
	}
	req.World = []string{"replayout"}
	req.Keyring = nil
	if _, err := Select(context.Background(), req); !errors.Is(err, keys.ErrUntrusted) {
		t.Errorf("no keyring: %v, want untrusted", err)
	}
	// A root's keys (Keys) are trusted; a file there that is no key is
	// passed over.
	pem, err := os.ReadFile(fixture.Path(t, "melange-repo", "melange.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	req.Keys = map[string][]byte{"README": []byte("keys for this root\n")}
	if _, err := Select(context.Background(), req); !errors.Is(err, keys.ErrUntrusted) {
		t.Errorf("only a file that is no key: %v, want untrusted", err)
	}
	req.Keys["melange.rsa.pub"] = pem
	if sel, err := Select(context.Background(), req); err != nil || len(sel.Packages) != 2 {
		t.Errorf("the root's key: %v", err)
	}
}

// A record with an unknown uppercase field letter cannot be installed.
func TestSelectSkipsUninstallableRecords(t *testing.T) {
	text := "C:Q1m6wB0UFePGN8Drz82pC8y2uAiu8=\nP:odd\nV:1.0-r0\nA:x86_64\nS:1\nI:1\nT:odd\nX:future-field\n\n"
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "APKINDEX", Mode: 0o644, Size: int64(len(text)), Typeflag: tar.TypeReg})
	tw.Write([]byte(text))
	tw.Close()
	gz.Close()
	key, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := index.Sign(tgz.Bytes(), &keys.Signer{Key: key, Name: "t.rsa.pub"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "x86_64"), 0o755)
	os.WriteFile(filepath.Join(dir, "x86_64", "APKINDEX.tar.gz"), append(signed, tgz.Bytes()...), 0o644)
	pub, _ := keys.EncodePublic(&key.PublicKey)
	os.WriteFile(filepath.Join(dir, "t.rsa.pub"), pub, 0o644)
	_, err = Select(context.Background(), Request{
		World: []string{"odd"}, Repositories: []string{dir}, Keyring: []string{filepath.Join(dir, "t.rsa.pub")},
		Repo: repo.Options{Arch: "x86_64"},
	})
	var rerr *resolve.Error
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v, want the uninstallable record left out", err)
	}
}
