package repo

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

func TestLoadKeyring(t *testing.T) {
	fx := fixture.Dir(t)
	s := newServer(t)
	keyURL := s.URL + "/os/melange.rsa.pub"
	alpineDir := filepath.Join(fx, "alpine-316")
	opts := testOptions(t)

	kr, err := LoadKeyring(t.Context(), []string{
		keyURL,
		alpineDir, // two *.pub keys
		(&url.URL{Scheme: "file", Path: filepath.Join(fx, "wolfi", "wolfi-signing.rsa.pub")}).String(),
	}, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub",
		"alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
		"melange.rsa.pub",
		"wolfi-signing.rsa.pub",
	}
	if got := kr.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("keys %v, want %v", got, want)
	}

	// The downloaded key verifies the fixture index.
	opts.Keyring = kr
	r := openHTTP(t, s, opts)
	if ix := mustIndex(t, r); ix.SignedBy != "melange.rsa.pub" {
		t.Fatalf("SignedBy %q", ix.SignedBy)
	}

	// A second load revalidates the cached key.
	if _, err := LoadKeyring(t.Context(), []string{keyURL}, opts); err != nil {
		t.Fatal(err)
	}
	if hits, cond, nm := s.counts("/os/melange.rsa.pub"); hits != 2 || cond != 1 || nm != 1 {
		t.Fatalf("key hits %d, conditional %d, 304 %d; want 2, 1, 1", hits, cond, nm)
	}
}

func TestLoadKeyringErrors(t *testing.T) {
	s := newServer(t)
	s.set("/os/junk.pub", []byte("not a key\n"))
	s.set("/os/huge.pub", make([]byte, maxKeySize+1))
	tests := []struct {
		name  string
		entry string
		want  string
		is    error
	}{
		{"missing file", filepath.Join(t.TempDir(), "none.pub"), "no such file", nil},
		{"404", s.URL + "/os/none.rsa.pub", "404 Not Found", ErrNotFound},
		{"not a key", s.URL + "/os/junk.pub", "no PEM block", nil},
		{"too large", s.URL + "/os/huge.pub", "more than the 65536", nil},
		{"URL without a file name", s.URL + "/", "names no file", nil},
		{"unsupported scheme", "ftp://example.org/k.pub", "unsupported scheme", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions(t)
			_, err := LoadKeyring(t.Context(), []string{tc.entry}, opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			var left []string
			filepath.WalkDir(filepath.Join(opts.CacheDir, "apk", "keys"), func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					left = append(left, p)
				}
				return nil
			})
			if len(left) != 0 {
				t.Fatalf("a rejected key left %v in the cache", left)
			}
		})
	}
}

// Keys read from disk carry the same names keys.LoadKeyring gives them.
func TestLoadKeyringMatchesKeys(t *testing.T) {
	dir := fixture.Path(t, "alpine-316")
	want, err := keys.LoadKeyring(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadKeyring(t.Context(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Names(), ",") != strings.Join(want.Names(), ",") {
		t.Fatalf("names %v, want %v", got.Names(), want.Names())
	}
}
