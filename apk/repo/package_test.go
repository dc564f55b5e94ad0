package repo

import (
	"bytes"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// Byte offsets in pretend-baselayout-1.0.0-r0.apk (see the format spec):
// signature member [0,647), control [647,1629), data [1629,2930).
const (
	controlMTime = 647 + 4  // gzip header mtime of the control member
	dataMTime    = 1629 + 4 // gzip header mtime of the data member
)

func TestFetchDownloadsOnce(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	r := openHTTP(t, s, opts)
	ix := mustIndex(t, r)
	paths := map[string]string{}
	for _, p := range present(ix) {
		path, err := r.Fetch(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(path, opts.CacheDir) || !strings.HasSuffix(path, p.Filename()) {
			t.Errorf("%s fetched to %s: not a cache file of that name", p.Filename(), path)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, s.get("/os/x86_64/"+p.Filename())) {
			t.Errorf("%s: cached bytes differ from the served ones", p.Filename())
		}
		paths[p.Name] = path
	}
	before := s.totalHits()
	for _, p := range present(ix) {
		path, err := r.Fetch(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		if path != paths[p.Name] {
			t.Errorf("second fetch of %s gave %s, want %s", p.Name, path, paths[p.Name])
		}
	}
	if after := s.totalHits(); after != before {
		t.Fatalf("the second round of Fetch made %d requests, want 0", after-before)
	}
	// Another repository value with the same cache, e.g. a later run.
	r2 := openHTTP(t, s, opts)
	if _, err := r2.Fetch(t.Context(), present(ix)[0]); err != nil || s.totalHits() != before {
		t.Fatalf("fetch through a new Repository: %v, %d requests", err, s.totalHits()-before)
	}
}

// The fixture index lists a package whose file the repository lacks.
func TestFetchNotFound(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	r := openHTTP(t, s, opts)
	_, err := r.Fetch(t.Context(), find(t, mustIndex(t, r), missingPkg))
	want := "GET " + s.URL + "/os/x86_64/custom-ca-certs-2-1.0.0-r0.apk: 404 Not Found"
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err = %v, want ErrNotFound starting %q", err, want)
	}
	if files := cachedPackages(t, opts.CacheDir); len(files) != 0 {
		t.Fatalf("cache holds %v", files)
	}
}

func TestFetchTampered(t *testing.T) {
	tests := []struct {
		name string
		at   int // byte flipped; -1 = the last one
		want string
	}{
		{"control member", controlMTime, "identity mismatch"},
		{"data member", dataMTime, "datahash mismatch"},
		{"inside the data stream", 2000, ""},
		{"gzip trailer", -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			opts := testOptions(t)
			r := openHTTP(t, s, opts)
			pkg := find(t, mustIndex(t, r), "pretend-baselayout")
			data := s.get(pretendPath)
			at := tc.at
			if at < 0 {
				at = len(data) - 1
			}
			s.set(pretendPath, flip(data, at))
			_, err := r.Fetch(t.Context(), pkg)
			if !errors.Is(err, apk.ErrCorrupted) {
				t.Fatalf("err = %v, want apk.ErrCorrupted", err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), s.URL+pretendPath) {
				t.Errorf("error %q: want it to name the URL and say %q", err, tc.want)
			}
			if files := cachedPackages(t, opts.CacheDir); len(files) != 0 {
				t.Fatalf("a rejected package left %v in the cache", files)
			}
		})
	}
}

// cachedPackages lists every file in the package cache, temporary files
// included.
func cachedPackages(t *testing.T, cache string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(cache, "apk", "packages"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// A cached package that no longer verifies is discarded and fetched once.
func TestFetchCorruptCache(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	r := openHTTP(t, s, opts)
	pkg := find(t, mustIndex(t, r), "pretend-baselayout")
	path, err := r.Fetch(t.Context(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	if err := os.WriteFile(path, flip(good, dataMTime), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := r.Fetch(t.Context(), pkg); err != nil || got != path {
		t.Fatalf("Fetch = %q, %v", got, err)
	}
	if now, _ := os.ReadFile(path); !bytes.Equal(now, good) {
		t.Fatal("the corrupt cached copy was not replaced")
	}
	if hits, _, _ := s.counts(pretendPath); hits != 2 {
		t.Fatalf("%d downloads, want 2", hits)
	}

	// If the server's copy is bad too, Fetch fails after one more download
	// and leaves nothing behind.
	os.WriteFile(path, flip(good, dataMTime), 0o644)
	s.set(pretendPath, flip(good, controlMTime))
	if _, err := r.Fetch(t.Context(), pkg); !errors.Is(err, apk.ErrCorrupted) {
		t.Fatalf("err = %v, want apk.ErrCorrupted", err)
	}
	if hits, _, _ := s.counts(pretendPath); hits != 3 {
		t.Fatalf("%d downloads, want 3", hits)
	}
	if files := cachedPackages(t, opts.CacheDir); len(files) != 0 {
		t.Fatalf("cache holds %v, want nothing", files)
	}
}

// Concurrent fetches of one package download it once.
func TestFetchConcurrent(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	ix := mustIndex(t, r)
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(ix.Packages))
	for range 4 {
		for _, p := range present(ix) {
			wg.Go(func() {
				_, err := r.Fetch(t.Context(), p)
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range present(ix) {
		if hits, _, _ := s.counts("/os/x86_64/" + p.Filename()); hits != 1 {
			t.Errorf("%s downloaded %d times, want 1", p.Filename(), hits)
		}
	}
}

// The package download survives a 500 and a truncated body.
func TestFetchRetries(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	pkg := find(t, mustIndex(t, r), "pretend-baselayout")
	s.then(pretendPath, fail500, truncate)
	if _, err := r.Fetch(t.Context(), pkg); err != nil {
		t.Fatal(err)
	}
	if hits, _, _ := s.counts(pretendPath); hits != 3 {
		t.Fatalf("%d requests, want 3", hits)
	}
}

func TestFetchRejectsBadRecords(t *testing.T) {
	s := newServer(t)
	r := openHTTP(t, s, testOptions(t))
	good := find(t, mustIndex(t, r), "pretend-baselayout")
	tests := []struct {
		name string
		edit func(p *apk.PackageInfo)
		want string
	}{
		{"path in the name", func(p *apk.PackageInfo) { p.Name = "x/../../etc/passwd" }, "not allowed"},
		{"dot name", func(p *apk.PackageInfo) { p.Name = ".hidden" }, "must not start"},
		{"slash in the version", func(p *apk.PackageInfo) { p.Version = "1.0/../../x" }, "not allowed"},
		{"no checksum", func(p *apk.PackageInfo) { p.Checksum = nil }, "no checksum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := *good
			tc.edit(&p)
			before := s.totalHits()
			_, err := r.Fetch(t.Context(), &p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if s.totalHits() != before {
				t.Fatal("a request was made for a bad record")
			}
		})
	}
	// A record whose checksum is right but whose name is not.
	p := *good
	p.Version = "1.0.0-r1"
	s.set("/os/x86_64/pretend-baselayout-1.0.0-r1.apk", s.get(pretendPath))
	if _, err := r.Fetch(t.Context(), &p); !errors.Is(err, apk.ErrCorrupted) || !strings.Contains(err.Error(), "says pretend-baselayout-1.0.0-r0") {
		t.Fatalf("err = %v, want a name mismatch", err)
	}
}

func TestLocalRepository(t *testing.T) {
	dir := fixture.Path(t, "melange-repo")
	for _, loc := range []string{dir, dir + "/", (&url.URL{Scheme: "file", Path: dir}).String()} {
		t.Run(loc, func(t *testing.T) {
			opts := Options{Keyring: melangeKeyring(t), Arch: "amd64", CacheDir: t.TempDir()}
			r, err := Open(t.Context(), loc, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Arch != "x86_64" {
				t.Errorf("arch alias amd64 gave %q", r.Arch)
			}
			ix := mustIndex(t, r)
			for _, p := range present(ix) {
				path, err := r.Fetch(t.Context(), p)
				if err != nil {
					t.Fatal(err)
				}
				if want := filepath.Join(dir, "x86_64", p.Filename()); path != want {
					t.Errorf("Fetch = %s, want %s", path, want)
				}
			}
			if files := cachedPackages(t, opts.CacheDir); len(files) != 0 {
				t.Errorf("a local repository was copied into the cache: %v", files)
			}
		})
	}
}

func TestLocalRepositoryErrors(t *testing.T) {
	fx := fixture.Dir(t)
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "none"), Options{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing directory: err = %v, want ErrNotFound", err)
	}
	if _, err := Open(t.Context(), filepath.Join(fx, "README.md"), Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as repository: err = %v", err)
	}
	r, err := Open(t.Context(), filepath.Join(fx, "melange-repo"), Options{Arch: "aarch64"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Index(t.Context()); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "aarch64") {
		t.Errorf("missing arch: err = %v, want ErrNotFound naming the arch", err)
	}

	// A tampered copy of the repository: a bad package, a missing one.
	tmp := t.TempDir()
	src := filepath.Join(fx, "melange-repo")
	for _, f := range melangeFiles {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(filepath.Base(f), "pretend-") {
			data = flip(data, dataMTime)
		}
		os.MkdirAll(filepath.Join(tmp, filepath.Dir(f)), 0o755)
		if !strings.HasPrefix(filepath.Base(f), "replayout-") {
			if err := os.WriteFile(filepath.Join(tmp, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r, err = Open(t.Context(), tmp, Options{Keyring: melangeKeyring(t), Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	ix := mustIndex(t, r)
	if _, err := r.Fetch(t.Context(), find(t, ix, "pretend-baselayout")); !errors.Is(err, apk.ErrCorrupted) {
		t.Errorf("tampered local package: err = %v, want apk.ErrCorrupted", err)
	}
	if _, err := r.Fetch(t.Context(), find(t, ix, "replayout")); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "not in the directory") {
		t.Errorf("missing local package: err = %v, want ErrNotFound", err)
	}
}

// An index signed by a key the keyring lacks: the error names the key
// file beside the repository when there is one.
func TestUntrustedLocalIndexNamesTheKeyBesideIt(t *testing.T) {
	fx := fixture.Dir(t)
	r, err := Open(t.Context(), filepath.Join(fx, "melange-repo"), Options{Keyring: keys.NewKeyring()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Index(t.Context())
	key := filepath.Join(fx, "melange-repo", "melange.rsa.pub")
	if !errors.Is(err, keys.ErrUntrusted) || !strings.Contains(err.Error(), "(there is one: -k "+key+")") {
		t.Errorf("err = %v, want ErrUntrusted naming %s", err, key)
	}

	tmp := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(filepath.Join(tmp, "x86_64"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(fx, "melange-repo", "x86_64", "APKINDEX.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "x86_64", "APKINDEX.tar.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = Open(t.Context(), tmp, Options{Keyring: keys.NewKeyring(), Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Index(t.Context())
	if !errors.Is(err, keys.ErrUntrusted) || strings.Contains(err.Error(), "there is one") {
		t.Errorf("no key beside the repository: err = %v", err)
	}
	// In the directory above, as melange lays out a project.
	if err := os.WriteFile(filepath.Join(filepath.Dir(tmp), "melange.rsa.pub"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = r.Index(t.Context())
	if want := filepath.Join(filepath.Dir(tmp), "melange.rsa.pub"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("key in the project folder: err = %v, want it named", err)
	}
}
