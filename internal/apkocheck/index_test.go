package apkocheck

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
)

// loadIndex has apko read and verify the repository's index with keys.
func loadIndex(t *testing.T, r *Repository, keyring map[string][]byte) ([]*apkoapk.RepositoryPackage, error) {
	t.Helper()
	ctx, _ := apkoContext(t)
	ixs, err := apkoapk.GetRepositoryIndexes(ctx, []string{r.Dir}, keyring, r.Arch)
	if err != nil {
		return nil, err
	}
	if len(ixs) != 1 {
		t.Fatalf("apko loaded %d indexes from %s, want 1", len(ixs), r.Dir)
	}
	return ixs[0].Packages(), nil
}

// TestApkoVerifiesIndex: apko verifies the signature of pestle's index and
// reads every record with the values pestle recorded while packing.
func TestApkoVerifiesIndex(t *testing.T) {
	r := newRepo(t, RepoOptions{})
	pkgs, err := loadIndex(t, r, map[string][]byte{r.KeyName: publicPEM(t, r)})
	if err != nil {
		t.Fatalf("apko rejected pestle's index: %v", err)
	}
	if len(pkgs) != len(r.Packages) {
		t.Fatalf("apko sees %d packages, pestle indexed %d", len(pkgs), len(r.Packages))
	}
	byName := map[string]*apkoapk.RepositoryPackage{}
	for _, p := range pkgs {
		byName[p.Name] = p
	}
	for _, want := range r.Packages {
		got, ok := byName[want.Name]
		if !ok {
			t.Errorf("apko does not see %s in the index", want.Name)
			continue
		}
		comparePackage(t, "index", got.Package, want)
		if u, w := got.URL(), r.PackagePath(want); u != w {
			t.Errorf("%s: apko would fetch %s, the package is at %s", want.Name, u, w)
		}
	}

	f, err := os.Open(filepath.Join(r.ArchDir(), "APKINDEX.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	ix, err := apkoapk.IndexFromArchive(f)
	if err != nil {
		t.Fatalf("apko cannot read the index archive: %v", err)
	}
	if ix.Description != "pestle acceptance repository" {
		t.Errorf("DESCRIPTION as apko reads it: %q", ix.Description)
	}
	if len(ix.Signature) == 0 {
		t.Error("apko found no signature entry in the index")
	}
}

// comparePackage checks that apko's view of a package (from an index, a
// .PKGINFO or an installed database) matches what pestle recorded.
func comparePackage(t *testing.T, where string, got *apkoapk.Package, want *apk.PackageInfo) {
	t.Helper()
	str := []struct{ field, got, want string }{
		{"P", got.Name, want.Name},
		{"V", got.Version, want.Version},
		{"A", got.Arch, want.Arch},
		{"T", got.Description, want.Description},
		{"U", got.URL, want.URL},
		{"L", got.License, want.License},
		{"o", got.Origin, want.Origin},
		{"m", got.Maintainer, want.Maintainer},
		{"c", got.RepoCommit, want.Commit},
		{"C", got.ChecksumString(), "Q1" + b64(want.Checksum)},
	}
	for _, c := range str {
		if c.got != c.want {
			t.Errorf("%s: %s %s: apko reads %q, pestle wrote %q", where, want.Name, c.field, c.got, c.want)
		}
	}
	num := []struct {
		field     string
		got, want uint64
	}{
		{"S", got.Size, uint64(want.FileSize)},
		{"I", got.InstalledSize, want.Size},
		{"t", uint64(got.BuildDate), uint64(want.BuildDate)},
		{"k", got.ProviderPriority, want.ProviderPriority},
	}
	for _, c := range num {
		if c.got != c.want {
			t.Errorf("%s: %s %s: apko reads %d, pestle wrote %d", where, want.Name, c.field, c.got, c.want)
		}
	}
	lists := []struct {
		field     string
		got, want []string
	}{
		{"D", got.Dependencies, want.Depends},
		{"p", got.Provides, want.Provides},
		{"i", got.InstallIf, want.InstallIf},
	}
	for _, c := range lists {
		if !slices.Equal(nonEmpty(c.got), nonEmpty(c.want)) {
			t.Errorf("%s: %s %s: apko reads %q, pestle wrote %q", where, want.Name, c.field, c.got, c.want)
		}
	}
}

// nonEmpty drops empty tokens, and the "[]" apko writes for an empty
// install_if in its own installed database (it formats the slice).
func nonEmpty(s []string) []string {
	return slices.DeleteFunc(slices.Clone(s), func(x string) bool { return x == "" || x == "[]" })
}

// TestApkoRejectsBadIndexes makes sure the check has teeth: apko refuses
// pestle's index with a different key, with no matching key name, and
// after one byte of it changed.
func TestApkoRejectsBadIndexes(t *testing.T) {
	other, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	otherPEM, err := keys.EncodePublic(&other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		keys   func(r *Repository) map[string][]byte
		tamper bool
		want   string
	}{
		{"same name, other key", func(r *Repository) map[string][]byte { return map[string][]byte{r.KeyName: otherPEM} }, false,
			"signature verification failed"},
		{"unknown key name", func(r *Repository) map[string][]byte {
			return map[string][]byte{"someone-else.rsa.pub": publicPEM(t, r)}
		}, false,
			"no signature with known key"},
		{"tampered index", func(r *Repository) map[string][]byte { return map[string][]byte{r.KeyName: publicPEM(t, r)} }, true,
			"signature verification failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRepo(t, RepoOptions{})
			if c.tamper {
				path := filepath.Join(r.ArchDir(), "APKINDEX.tar.gz")
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				b[len(b)-1] ^= 1 // the gzip ISIZE of the index member: signed bytes
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ctx, rec := apkoContext(t)
			rec.allowWarnings()
			_, err := apkoapk.GetRepositoryIndexes(ctx, []string{r.Dir}, c.keys(r), r.Arch)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("apko: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestApkoIndexDigests: apko accepts indexes signed with SHA-1 (.SIGN.RSA.)
// and SHA-256 (.SIGN.RSA256.), and skips SHA-512 signatures (.SIGN.RSA512.)
// altogether, so an index signed only with SHA-512 is refused by apko
// although apk-tools accepts it.
func TestApkoIndexDigests(t *testing.T) {
	cases := []struct {
		hash crypto.Hash
		want string // "" means accepted
	}{
		{crypto.SHA1, ""},
		{crypto.SHA256, ""},
		{crypto.SHA512, "no signature with known key"},
	}
	for _, c := range cases {
		t.Run(c.hash.String(), func(t *testing.T) {
			r := newRepo(t, RepoOptions{IndexHash: c.hash, PkgHash: c.hash})
			_, err := loadIndex(t, r, map[string][]byte{r.KeyName: publicPEM(t, r)})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("apko rejected an index signed with %v: %v", c.hash, err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("apko: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestApkoVerifiesSegmentedIndexMerge: an index large enough to span many
// compressed segments, then merged into segment by segment (one package
// replaced, one added), still verifies and reads in full with apko.
func TestApkoVerifiesSegmentedIndexMerge(t *testing.T) {
	r := newRepo(t, RepoOptions{})
	signer := &keys.Signer{Key: r.Key, Name: r.KeyName}
	var filler []*apk.PackageInfo
	for i := range 2000 {
		name := fmt.Sprintf("filler-%04d", i)
		sum := sha1.Sum([]byte(name))
		filler = append(filler, &apk.PackageInfo{Name: name, Version: "1.0-r0", Arch: r.Arch,
			Description: strings.Repeat("padding text ", 10), Checksum: sum[:], FileSize: 1, Size: 1})
	}
	kr, err := keys.LoadKeyring(r.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	opts := index.UpdateOptions{Signer: signer, Keyring: kr, SourceDateEpoch: SourceDateEpoch,
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := index.Update(r.ArchDir(), filler, opts); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	rebuilt := *filler[1000]
	sum := sha1.Sum([]byte("rebuilt"))
	rebuilt.Checksum = sum[:]
	if err := index.Update(r.ArchDir(), []*apk.PackageInfo{&rebuilt, r.Packages[0]}, opts); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "segment by segment") {
		t.Fatalf("the merge did not go segment by segment:\n%s", log.String())
	}
	pkgs, err := loadIndex(t, r, map[string][]byte{r.KeyName: publicPEM(t, r)})
	if err != nil {
		t.Fatalf("apko rejected the merged index: %v", err)
	}
	if len(pkgs) != len(r.Packages)+len(filler) {
		t.Fatalf("apko sees %d packages, want %d", len(pkgs), len(r.Packages)+len(filler))
	}
	for _, p := range pkgs {
		if p.Name == rebuilt.Name && p.ChecksumString() != "Q1"+b64(rebuilt.Checksum) {
			t.Errorf("%s: apko reads checksum %s, the merge wrote the rebuilt one", p.Name, p.ChecksumString())
		}
	}
}
