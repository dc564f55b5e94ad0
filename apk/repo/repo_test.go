package repo

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

const (
	indexPath   = "/os/x86_64/APKINDEX.tar.gz"
	pretendPath = "/os/x86_64/pretend-baselayout-1.0.0-r0.apk"
)

func openHTTP(t *testing.T, s *server, opts Options) *Repository {
	t.Helper()
	r, err := Open(t.Context(), s.URL+"/os/", opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustIndex(t *testing.T, r *Repository) *index.Index {
	t.Helper()
	ix, err := r.Index(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Packages) != 4 {
		t.Fatalf("index has %d packages, want 4", len(ix.Packages))
	}
	return ix
}

// missingPkg is in the fixture index, but its file is not in the fixture
// repository.
const missingPkg = "custom-ca-certs-2"

// present lists the packages of ix whose files the fixture repository has.
func present(ix *index.Index) []*apk.PackageInfo {
	var out []*apk.PackageInfo
	for _, p := range ix.Packages {
		if p.Name != missingPkg {
			out = append(out, p)
		}
	}
	return out
}

func find(t *testing.T, ix *index.Index, name string) *apk.PackageInfo {
	t.Helper()
	for _, p := range ix.Packages {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no %s in the index", name)
	return nil
}

func flip(data []byte, at int) []byte {
	out := bytes.Clone(data)
	out[at] ^= 0x01
	return out
}

func TestOpenHTTP(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	if r.URL != s.URL+"/os" || r.Arch != "x86_64" {
		t.Errorf("URL %q Arch %q", r.URL, r.Arch)
	}
	if got, want := r.IndexURL(), s.URL+indexPath; got != want {
		t.Errorf("IndexURL = %q, want %q", got, want)
	}
	if s.totalHits() != 0 {
		t.Error("Open made a request")
	}
}

// The second Index sends the cached ETag, gets 304 and reads the cache.
func TestIndexConditional(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	ix := mustIndex(t, r)
	if ix.SignedBy != "melange.rsa.pub" {
		t.Errorf("SignedBy = %q", ix.SignedBy)
	}
	if p := find(t, ix, "pretend-baselayout"); p.Version != "1.0.0-r0" {
		t.Errorf("pretend-baselayout version %q", p.Version)
	}
	ix2 := mustIndex(t, r)
	hits, cond, nm := s.counts(indexPath)
	if hits != 2 || cond != 1 || nm != 1 {
		t.Fatalf("hits %d, conditional %d, 304 %d; want 2, 1, 1", hits, cond, nm)
	}
	if ix2.SignedBy != "melange.rsa.pub" || len(ix2.Packages) != len(ix.Packages) {
		t.Fatal("the index read from the cache differs")
	}

	// A new repository value over the same cache revalidates too.
	r2 := openHTTP(t, s, r.opts)
	mustIndex(t, r2)
	if _, cond, nm := s.counts(indexPath); cond != 2 || nm != 2 {
		t.Fatalf("conditional %d, 304 %d; want 2, 2", cond, nm)
	}
}

// A changed index is downloaded, verified and replaces the cached one.
func TestIndexChanged(t *testing.T) {
	s := newServer(t)
	fx := fixture.Dir(t)
	opts := testOptions(t)
	if err := loadInto(opts.Keyring, filepath.Join(fx, "rsa256-signed", "test-rsa256.rsa.pub")); err != nil {
		t.Fatal(err)
	}
	r := openHTTP(t, s, opts)
	mustIndex(t, r)
	other, err := os.ReadFile(filepath.Join(fx, "rsa256-signed", "APKINDEX.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	s.set(indexPath, other)
	ix, err := r.Index(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if ix.SignedBy != "test-rsa256.rsa.pub" {
		t.Fatalf("SignedBy %q: the changed index was not used", ix.SignedBy)
	}
	ix, err = r.Index(t.Context())
	if err != nil || ix.SignedBy != "test-rsa256.rsa.pub" {
		t.Fatalf("third Index: %v, signed by %q", err, ix.SignedBy)
	}
	if hits, cond, nm := s.counts(indexPath); hits != 3 || cond != 2 || nm != 1 {
		t.Fatalf("hits %d, conditional %d, 304 %d; want 3, 2, 1", hits, cond, nm)
	}
}

func loadInto(kr *keys.Keyring, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return kr.AddPEM(filepath.Base(path), data)
}

func TestIndexRefused(t *testing.T) {
	fx := fixture.Dir(t)
	wolfiKey, err := os.ReadFile(filepath.Join(fx, "wolfi", "wolfi-signing.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	sameNameWrongKey := keys.NewKeyring()
	if err := sameNameWrongKey.AddPEM("melange.rsa.pub", wolfiKey); err != nil {
		t.Fatal(err)
	}
	otherKey, err := keys.LoadKeyring(filepath.Join(fx, "alpine-316", "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := os.ReadFile(filepath.Join(fx, "melange-repo", "x86_64", "APKINDEX.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	_, unsigned, err := index.Split(signed)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kr      *keys.Keyring
		serve   []byte // nil: the signed fixture
		allow   bool
		want    error // nil: accepted
		signers string
	}{
		{"wrong key of the same name", sameNameWrongKey, nil, false, keys.ErrBadSignature, ""},
		{"wrong key even when untrusted is allowed", sameNameWrongKey, nil, true, keys.ErrBadSignature, ""},
		{"no key of that name", otherKey, nil, false, keys.ErrUntrusted, ""},
		{"no key of that name, allowed", otherKey, nil, true, nil, ""},
		{"nil keyring", nil, nil, false, keys.ErrUntrusted, ""},
		{"unsigned", melangeKeyring(t), unsigned, false, keys.ErrUntrusted, ""},
		{"unsigned, allowed", melangeKeyring(t), unsigned, true, nil, ""},
		{"tampered", melangeKeyring(t), flip(signed, len(signed)-100), false, keys.ErrBadSignature, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			if tc.serve != nil {
				s.set(indexPath, tc.serve)
			}
			opts := testOptions(t)
			opts.Keyring, opts.AllowUntrusted = tc.kr, tc.allow
			r := openHTTP(t, s, opts)
			ix, err := r.Index(t.Context())
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				if ix.SignedBy != "" || len(ix.Packages) != 4 {
					t.Fatalf("SignedBy %q, %d packages", ix.SignedBy, len(ix.Packages))
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), s.URL+indexPath) {
				t.Errorf("error %q does not name the URL", err)
			}
			if n := cachedIndexes(t, opts.CacheDir); n != 0 {
				t.Errorf("a refused index was cached (%d files)", n)
			}
		})
	}
}

// cachedIndexes counts index files in the cache (temporary files
// included, so that leftovers count too).
func cachedIndexes(t *testing.T, cache string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(cache, "apk", "index"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != metaFile {
			n++
		}
		return nil
	})
	return n
}

// An index that fails verification leaves the verified cached copy alone.
func TestIndexBadUpdateKeepsCache(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	mustIndex(t, r)
	good := s.get(indexPath)
	s.set(indexPath, flip(good, len(good)-100))
	if _, err := r.Index(t.Context()); !errors.Is(err, keys.ErrBadSignature) {
		t.Fatalf("tampered update: err = %v, want ErrBadSignature", err)
	}
	s.set(indexPath, good)
	mustIndex(t, r)
	if _, _, nm := s.counts(indexPath); nm != 1 {
		t.Fatalf("%d 304s, want 1: the good cached copy was lost", nm)
	}
}

// A cached index altered on disk is noticed on 304, dropped and fetched.
func TestIndexCorruptCache(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	r := openHTTP(t, s, opts)
	mustIndex(t, r)
	path := filepath.Join(opts.CacheDir, "apk", "index", slug(r.IndexURL()), index.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, flip(data, 10), 0o644); err != nil {
		t.Fatal(err)
	}
	mustIndex(t, r)
	if hits, cond, nm := s.counts(indexPath); hits != 3 || cond != 1 || nm != 1 {
		t.Fatalf("hits %d, conditional %d, 304 %d; want 3, 1, 1", hits, cond, nm)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("the cached index was not restored")
	}
}

func TestIndexNotFound(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.Arch = "aarch64"
	r := openHTTP(t, s, opts)
	_, err := r.Index(t.Context())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), s.URL+"/os/aarch64/APKINDEX.tar.gz") {
		t.Fatalf("err = %v, want ErrNotFound naming the URL", err)
	}
}

func TestIndexTruncated(t *testing.T) {
	s := newServer(t)
	s.then(indexPath, truncate, truncate, truncate, truncate)
	opts := testOptions(t)
	r := openHTTP(t, s, opts)
	_, err := r.Index(t.Context())
	if err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), s.URL+indexPath) {
		t.Fatalf("err = %v, want a truncated-body error naming the URL", err)
	}
	if n := cachedIndexes(t, opts.CacheDir); n != 0 {
		t.Errorf("%d files left in the index cache", n)
	}
	// One truncated answer is retried and then succeeds.
	s.then(indexPath, truncate)
	mustIndex(t, r)
}

// A cached index is verified again with the reader's own settings: one
// accepted as untrusted is refused later by a strict reader.
func TestCachedIndexReverified(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.Keyring, opts.AllowUntrusted = keys.NewKeyring(), true
	mustIndex(t, openHTTP(t, s, opts))
	opts.AllowUntrusted = false
	_, err := openHTTP(t, s, opts).Index(t.Context())
	if !errors.Is(err, keys.ErrUntrusted) {
		t.Fatalf("err = %v, want ErrUntrusted", err)
	}
	if _, _, nm := s.counts(indexPath); nm != 1 {
		t.Fatalf("%d 304s, want 1: the refusal must come from the cached copy", nm)
	}
}
