package index

import (
	"bytes"
	"crypto"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

func melangeAPKs(t testing.TB) []string {
	dir := fixture.Path(t, "melange-repo", "x86_64")
	files, err := filepath.Glob(filepath.Join(dir, "*.apk"))
	if err != nil || len(files) != 3 {
		t.Fatalf("melange fixture packages: %v %v", files, err)
	}
	return files
}

// TestIndexMelangePackages indexes the three melange fixture packages and
// compares every field melange derives from the package with melange's own
// index of them.
func TestIndexMelangePackages(t *testing.T) {
	fx := fixture.Dir(t)
	out := filepath.Join(t.TempDir(), "APKINDEX.tar.gz")
	res, err := Build(melangeAPKs(t), BuildOptions{Output: out, Signer: &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 3 || res.Total != 3 || len(res.Skipped) != 0 {
		t.Fatalf("result %+v", res)
	}
	ours, err := ReadFile(out, testKeyring(t), false)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := ReadFile(filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz"), keyring(t, filepath.Join(fx, "melange-repo/melange.rsa.pub")), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ours.Packages {
		q := theirs.Find(p.Name, p.Version)
		if q == nil {
			t.Errorf("%s-%s is not in melange's index", p.Name, p.Version)
			continue
		}
		for _, f := range []struct {
			field     string
			got, want any
		}{
			{"C", p.Checksum, q.Checksum}, {"P", p.Name, q.Name}, {"V", p.Version, q.Version},
			{"A", p.Arch, q.Arch}, {"S", p.FileSize, q.FileSize}, {"I", p.Size, q.Size},
			{"T", p.Description, q.Description}, {"D", p.Depends, q.Depends}, {"p", p.Provides, q.Provides},
			{"L", p.License, q.License}, {"o", p.Origin, q.Origin}, {"c", p.Commit, q.Commit},
		} {
			if !reflect.DeepEqual(f.got, f.want) {
				t.Errorf("%s %s: got %v, melange has %v", p.Name, f.field, f.got, f.want)
			}
		}
	}
	// Known values from the fixtures README.
	if p := ours.Find("pretend-baselayout", "1.0.0-r0"); p == nil || !bytes.Equal(p.Checksum, q1(t, "Q1m6wB0UFePGN8Drz82pC8y2uAiu8=")) || p.FileSize != 2930 || p.Size != 3476 {
		t.Errorf("pretend-baselayout: %+v", p)
	}
}

func TestBuildArchAndMerge(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "APKINDEX.tar.gz")
	files := melangeAPKs(t)

	res, err := Build(files, BuildOptions{Output: out, Arch: "aarch64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Added) != 0 || len(res.Skipped) != 3 || !strings.Contains(res.Skipped[0].Reason, "architecture x86_64, expected aarch64") {
		t.Errorf("arch filter: %+v", res)
	}

	if _, err := Build(files[:1], BuildOptions{Output: out, Arch: "x86_64", Description: "first"}); err != nil {
		t.Fatal(err)
	}
	res, err = Build(files[1:], BuildOptions{Output: out, Merge: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total != 3 {
		t.Errorf("merged total = %d, want 3", res.Total)
	}
	ix, err := ReadFile(out, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Description != "first" {
		t.Errorf("description %q not kept by merge", ix.Description)
	}
	// Without --merge only the given packages remain.
	res, err = Build(files[:1], BuildOptions{Output: out})
	if err != nil || res.Total != 1 {
		t.Errorf("no merge: total %d, %v", res.Total, err)
	}
	// Merge from another source into a new output.
	other := filepath.Join(dir, "other", "APKINDEX.tar.gz")
	res, err = Build(files[1:2], BuildOptions{Output: other, Merge: true, Source: out})
	if err != nil || res.Total != 2 {
		t.Errorf("merge from source: total %d, %v", res.Total, err)
	}
	// A source that does not verify with the given keyring is refused.
	_, err = Build(files[:1], BuildOptions{Output: out, Merge: true, Keyring: testKeyring(t)})
	if !errors.Is(err, keys.ErrUntrusted) {
		t.Errorf("unsigned source with a keyring: %v", err)
	}
}

func TestBuildRefusesBrokenPackage(t *testing.T) {
	dir := t.TempDir()
	data := mustRead(t, melangeAPKs(t)[0])
	data[len(data)-30] ^= 0xff
	bad := filepath.Join(dir, "bad.apk")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "APKINDEX.tar.gz")
	if _, err := Build([]string{melangeAPKs(t)[1], bad}, BuildOptions{Output: out}); err == nil || !strings.Contains(err.Error(), "bad.apk") {
		t.Errorf("err = %v, want one naming bad.apk", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Error("an index was written despite the error")
	}
}

func TestSignFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "APKINDEX.tar.gz")
	fx := fixture.Dir(t)
	orig := mustRead(t, filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz"))
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	key := testKey(t)

	res, err := SignFile(path, &keys.Signer{Key: key, Name: "test.rsa.pub"}, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Signed || !reflect.DeepEqual(res.Existing, []string{"melange.rsa.pub"}) {
		t.Errorf("without force: %+v", res)
	}
	if !bytes.Equal(mustRead(t, path), orig) {
		t.Error("an already signed index was changed without force")
	}

	res, err = SignFile(path, &keys.Signer{Key: key, Name: "test.rsa.pub", Hash: crypto.SHA512}, true, 0)
	if err != nil || !res.Signed {
		t.Fatalf("force: %+v %v", res, err)
	}
	ix, err := ReadFile(path, testKeyring(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Signatures) != 1 || ix.SignedBy != "test.rsa.pub" || ix.Signatures[0].Type != "RSA512" || len(ix.Packages) != 4 {
		t.Errorf("re-signed: %+v by %q, %d packages", ix.Signatures, ix.SignedBy, len(ix.Packages))
	}
	_, origUnsigned, _ := Split(orig)
	if !bytes.HasSuffix(mustRead(t, path), origUnsigned) {
		t.Error("re-signing changed the index content")
	}

	// An unsigned index is signed without --force.
	var b bytes.Buffer
	if err := Write(&b, sampleIndex(), nil, 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, b.Bytes(), 0o644)
	if res, err := SignFile(path, &keys.Signer{Key: key, Name: "test.rsa.pub"}, false, 0); err != nil || !res.Signed || len(res.Existing) != 0 {
		t.Errorf("unsigned: %+v %v", res, err)
	}
	if _, err := ReadFile(path, testKeyring(t), false); err != nil {
		t.Error(err)
	}

	// Garbage is not signed.
	os.WriteFile(path, []byte("not an index"), 0o644)
	if _, err := SignFile(path, &keys.Signer{Key: key, Name: "test.rsa.pub"}, true, 0); !errors.Is(err, ErrFormat) {
		t.Errorf("garbage: %v", err)
	}
	// Neither is what is not a regular file: a FIFO is refused, not
	// waited on, and a directory is named as one.
	fifo := filepath.Join(dir, "fifo.tar.gz")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{fifo: "is a named pipe (FIFO), not a regular file", dir: "is a directory, not a regular file"} {
		if _, err := SignFile(p, &keys.Signer{Key: key, Name: "test.rsa.pub"}, true, 0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", p, err, want)
		}
	}
}

func TestReadPackagesKeepsOrder(t *testing.T) {
	files := melangeAPKs(t)
	rev := []string{files[2], files[1], files[0], files[2]}
	infos, err := ReadPackages(rev, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range rev {
		if !strings.HasPrefix(filepath.Base(f), infos[i].Name+"-") {
			t.Errorf("%d: %s read as %s", i, f, infos[i].Name)
		}
	}
}
