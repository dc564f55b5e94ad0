package source

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
func sha512Hex(b []byte) string { s := sha512.Sum512(b); return hex.EncodeToString(s[:]) }

// server serves files from a map on 127.0.0.1 and counts requests per
// path. fail[path] answers that many requests with a 500 first.
type server struct {
	*httptest.Server
	mu     sync.Mutex
	files  map[string][]byte
	fail   map[string]int
	hits   map[string]int
	ranges []string
	// truncate answers the first request for a path with half of the body
	// and a full Content-Length (a dropped connection).
	truncate map[string]bool
}

func newServer(t *testing.T) *server {
	s := &server{files: map[string][]byte{}, fail: map[string]int{}, hits: map[string]int{}, truncate: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		if rg := r.Header.Get("Range"); rg != "" {
			s.ranges = append(s.ranges, rg)
		}
		data, ok := s.files[r.URL.Path]
		failing := s.fail[r.URL.Path] > 0
		if failing {
			s.fail[r.URL.Path]--
		}
		trunc := s.truncate[r.URL.Path]
		delete(s.truncate, r.URL.Path)
		s.mu.Unlock()
		switch {
		case !ok:
			http.NotFound(w, r)
		case failing:
			http.Error(w, "try again", http.StatusInternalServerError)
		case trunc:
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
		default:
			http.ServeContent(w, r, filepath.Base(r.URL.Path), testMtime, bytes.NewReader(data))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) count(p string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.hits[p] }

// noWait records retry waits instead of sleeping.
func noWait(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(_ context.Context, d time.Duration) error { *waits = append(*waits, d); return nil }
}

func fetchOpts(cache string) Options {
	var waits []time.Duration
	return Options{CacheDir: cache, sleep: noWait(&waits)}
}

func TestFetchFormats(t *testing.T) {
	srv := newServer(t)
	for name, data := range sampleArchives(t) {
		srv.files["/dl/"+name] = data
	}
	for name, data := range sampleArchives(t) {
		for _, strip := range []int{0, 1, 2} {
			t.Run(name+"/"+strconv.Itoa(strip), func(t *testing.T) {
				ws, cache := t.TempDir(), t.TempDir()
				in := FetchInput{URI: srv.URL + "/dl/" + name, ExpectedSHA256: sha256Hex(data),
					StripComponents: strip, Extract: true, Directory: "src"}
				res, err := Fetch(context.Background(), in, ws, fetchOpts(cache))
				if err != nil {
					t.Fatal(err)
				}
				if res.SHA256 != sha256Hex(data) || res.SHA512 != sha512Hex(data) || res.FromCache {
					t.Errorf("result %+v", res)
				}
				got := listTree(t, filepath.Join(ws, "src"))
				if want := wantSample(strip, strings.HasSuffix(name, ".zip")); !slices.Equal(got, want) {
					t.Errorf("tree:\n got %q\nwant %q", got, want)
				}
				// Like melange, the artifact stays in the workspace under its
				// base name, and the cache holds it by checksum.
				if b, err := os.ReadFile(filepath.Join(ws, name)); err != nil || !bytes.Equal(b, data) {
					t.Errorf("artifact in workspace: %v", err)
				}
				if b, err := os.ReadFile(filepath.Join(cache, "sha256:"+sha256Hex(data))); err != nil || !bytes.Equal(b, data) {
					t.Errorf("cache entry: %v", err)
				}
			})
		}
	}
}

func TestFetchChecksumMismatch(t *testing.T) {
	srv := newServer(t)
	data := gz(t, makeTar(t, sampleTree))
	srv.files["/a.tar.gz"] = data
	for _, algo := range []string{"sha256", "sha512"} {
		t.Run(algo, func(t *testing.T) {
			ws, cache := t.TempDir(), t.TempDir()
			in := FetchInput{URI: srv.URL + "/a.tar.gz", Extract: true}
			wrong := strings.Repeat("ab", 32)
			actual := sha256Hex(data)
			if algo == "sha512" {
				wrong, actual = strings.Repeat("cd", 64), sha512Hex(data)
				in.ExpectedSHA512 = wrong
			} else {
				in.ExpectedSHA256 = wrong
			}
			_, err := Fetch(context.Background(), in, ws, fetchOpts(cache))
			var ce *ChecksumError
			if !errors.As(err, &ce) || !errors.Is(err, ErrChecksumMismatch) {
				t.Fatalf("err = %v, want *ChecksumError", err)
			}
			if ce.URI != in.URI || ce.Algorithm != algo || ce.Expected != wrong || ce.Actual != actual {
				t.Errorf("error fields %+v", ce)
			}
			for _, want := range []string{in.URI, wrong, actual} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message %q lacks %q", err, want)
				}
			}
			for _, dir := range []string{ws, cache} {
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("%s not empty after a mismatch: %v", dir, left)
				}
			}
		})
	}
}

func TestFetchCacheHitMakesNoRequest(t *testing.T) {
	srv := newServer(t)
	data := gz(t, makeTar(t, sampleTree))
	srv.files["/a.tar.gz"] = data
	cache := t.TempDir()
	in := FetchInput{URI: srv.URL + "/a.tar.gz", ExpectedSHA512: sha512Hex(data), Extract: true, StripComponents: 1}
	if _, err := Fetch(context.Background(), in, t.TempDir(), fetchOpts(cache)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cache, "sha512:"+sha512Hex(data))); err != nil {
		t.Fatalf("sha512 cache entry: %v", err)
	}
	ws := t.TempDir()
	res, err := Fetch(context.Background(), in, ws, fetchOpts(cache))
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/a.tar.gz"); n != 1 || !res.FromCache {
		t.Errorf("requests = %d, FromCache = %v; want 1 request and a cache hit", n, res.FromCache)
	}
	if _, err := os.Stat(filepath.Join(ws, "README")); err != nil {
		t.Errorf("cache hit not extracted: %v", err)
	}
}

func TestFetchDiscardsCorruptCacheEntry(t *testing.T) {
	srv := newServer(t)
	data := gz(t, makeTar(t, sampleTree))
	srv.files["/a.tar.gz"] = data
	cache := t.TempDir()
	entry := filepath.Join(cache, "sha256:"+sha256Hex(data))
	os.WriteFile(entry, []byte("bit rot"), 0o644)
	in := FetchInput{URI: srv.URL + "/a.tar.gz", ExpectedSHA256: sha256Hex(data), Extract: false}
	res, err := Fetch(context.Background(), in, t.TempDir(), fetchOpts(cache))
	if err != nil {
		t.Fatal(err)
	}
	if res.FromCache || srv.count("/a.tar.gz") != 1 {
		t.Errorf("corrupt entry served: %+v", res)
	}
	if b, _ := os.ReadFile(entry); !bytes.Equal(b, data) {
		t.Error("cache entry not replaced by the verified download")
	}
}

func TestFetchRetriesServerErrors(t *testing.T) {
	srv := newServer(t)
	data := []byte("payload")
	srv.files["/p.bin"] = data
	srv.fail["/p.bin"] = 2
	var waits []time.Duration
	opts := Options{CacheDir: t.TempDir(), sleep: noWait(&waits)}
	in := FetchInput{URI: srv.URL + "/p.bin", ExpectedSHA256: sha256Hex(data)}
	if _, err := Fetch(context.Background(), in, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}
	if n := srv.count("/p.bin"); n != 3 || len(waits) != 2 {
		t.Errorf("requests = %d, waits = %v; want 3 requests after 2 waits", n, waits)
	}

	srv.fail["/p.bin"] = 100
	waits = nil
	in.RetryLimit = 3
	_, err := Fetch(context.Background(), in, t.TempDir(), Options{sleep: noWait(&waits)})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 500 || !strings.Contains(err.Error(), "3 attempts") {
		t.Fatalf("err = %v, want HTTP 500 after 3 attempts", err)
	}
	if n := srv.count("/p.bin"); n != 6 {
		t.Errorf("requests = %d, want 3 more", n)
	}
}

func TestFetch404(t *testing.T) {
	srv := newServer(t)
	ws := t.TempDir()
	in := FetchInput{URI: srv.URL + "/missing-1.0.tar.gz", ExpectedSHA256: strings.Repeat("0", 64)}
	_, err := Fetch(context.Background(), in, ws, fetchOpts(t.TempDir()))
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 404 {
		t.Fatalf("err = %v, want *HTTPError 404", err)
	}
	if msg := err.Error(); !strings.Contains(msg, in.URI) || !strings.Contains(msg, "404 Not Found") {
		t.Errorf("message %q", msg)
	}
	if n := srv.count("/missing-1.0.tar.gz"); n != 1 {
		t.Errorf("a 404 was retried: %d requests", n)
	}
	if left, _ := os.ReadDir(ws); len(left) != 0 {
		t.Errorf("workspace not empty: %v", left)
	}
}

func TestFetchResumesTruncatedBody(t *testing.T) {
	srv := newServer(t)
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	srv.files["/big.bin"] = data
	srv.truncate["/big.bin"] = true
	var done int64
	opts := fetchOpts(t.TempDir())
	opts.Progress = func(_ string, d, total int64) { done = d }
	in := FetchInput{URI: srv.URL + "/big.bin", ExpectedSHA256: sha256Hex(data)}
	if _, err := Fetch(context.Background(), in, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}
	if want := []string{"bytes=" + strconv.Itoa(len(data)/2) + "-"}; !slices.Equal(srv.ranges, want) {
		t.Errorf("range requests %q, want %q", srv.ranges, want)
	}
	if done != int64(len(data)) {
		t.Errorf("progress ended at %d of %d", done, len(data))
	}
}

func TestFetchIdleTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-block:
		}
	}))
	defer srv.Close()
	defer close(block)
	// The test server's own client has no connect or header deadline, so
	// however slow a loaded machine is to connect, the only timeout that
	// can fire is the 1 ms wait for body data.
	in := FetchInput{URI: srv.URL + "/slow", ExpectedNone: true, Timeout: time.Millisecond, RetryLimit: 1}
	_, err := Fetch(context.Background(), in, t.TempDir(), Options{HTTPClient: srv.Client()})
	if err == nil || !strings.Contains(err.Error(), "no data for 1ms") {
		t.Fatalf("err = %v, want an idle timeout", err)
	}
}

func TestFetchExtractFalseAndDelete(t *testing.T) {
	srv := newServer(t)
	data := gz(t, makeTar(t, sampleTree))
	srv.files["/v1/a.tar.gz"] = data
	ws := t.TempDir()
	in := FetchInput{URI: srv.URL + "/v1/a.tar.gz?x=1", ExpectedSHA256: sha256Hex(data), Extract: false}
	res, err := Fetch(context.Background(), in, ws, fetchOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	if got := listTree(t, ws); len(got) != 1 || !strings.HasPrefix(got[0], "a.tar.gz -rw-r--r--") {
		t.Errorf("extract: false left %q", got)
	}
	if res.Path != filepath.Join(ws, "a.tar.gz") {
		t.Errorf("Path = %q", res.Path)
	}

	ws = t.TempDir()
	in.Extract, in.Delete, in.StripComponents = true, true, 1
	res, err = Fetch(context.Background(), in, ws, fetchOpts(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, "a.tar.gz")); !os.IsNotExist(err) || res.Path != "" {
		t.Errorf("delete: true kept the artifact (%v, %q)", err, res.Path)
	}
	if _, err := os.Stat(filepath.Join(ws, "src", "main.c")); err != nil {
		t.Error(err)
	}
}

func TestFetchLocalFiles(t *testing.T) {
	data := gz(t, makeTar(t, sampleTree))
	srcDir := t.TempDir()
	src := filepath.Join(srcDir, "local-1.0.tar.gz")
	os.WriteFile(src, data, 0o644)
	// Absolute paths go through Local, which maps them (here /guest/...
	// to srcDir); without it they are refused.
	var asked []string
	local := func(p string) (string, error) {
		asked = append(asked, p)
		rel, ok := strings.CutPrefix(p, "/guest/")
		if !ok {
			return "", errors.New("outside")
		}
		return filepath.Join(srcDir, rel), nil
	}
	for _, uri := range []string{"file:///guest/local-1.0.tar.gz", "/guest/local-1.0.tar.gz"} {
		ws := t.TempDir()
		in := FetchInput{URI: uri, ExpectedSHA256: sha256Hex(data), Extract: true, StripComponents: 1}
		if _, err := Fetch(context.Background(), in, ws, fetchOpts(t.TempDir())); err == nil || !strings.Contains(err.Error(), "not below the step's directory") {
			t.Errorf("%s without Local: %v", uri, err)
		}
		opts := fetchOpts(t.TempDir())
		opts.Local = local
		if _, err := Fetch(context.Background(), in, ws, opts); err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if _, err := os.Stat(filepath.Join(ws, "local-1.0.tar.gz")); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(filepath.Join(ws, "README")); err != nil {
			t.Error(err)
		}
	}
	// A path relative to the workspace, without a checksum.
	ws := t.TempDir()
	os.WriteFile(filepath.Join(ws, "vendored.tar.gz"), data, 0o644)
	in := FetchInput{URI: "vendored.tar.gz", ExpectedNone: true, Extract: true, StripComponents: 1, Directory: "v"}
	res, err := Fetch(context.Background(), in, ws, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.SHA256 != sha256Hex(data) {
		t.Errorf("SHA256 = %s", res.SHA256)
	}
	if _, err := os.Stat(filepath.Join(ws, "v", "README")); err != nil {
		t.Error(err)
	}
	// Each fetch first asks for a file of its name already in the
	// workspace, then for the uri.
	if strings.Join(asked, " ") != "local-1.0.tar.gz /guest/local-1.0.tar.gz local-1.0.tar.gz /guest/local-1.0.tar.gz" {
		t.Errorf("Local was asked for %q", asked)
	}
	// Without Local: nothing above the step's directory, through a
	// symlink out of it, or that is not a regular file.
	sub := filepath.Join(ws, "sub")
	os.Mkdir(sub, 0o755)
	os.Symlink(src, filepath.Join(sub, "alias.tar.gz"))
	if err := syscall.Mkfifo(filepath.Join(sub, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]string{"../vendored.tar.gz": "not below", "alias.tar.gz": "escapes", "pipe": "not a regular file"} {
		in := FetchInput{URI: uri, ExpectedNone: true}
		if _, err := Fetch(context.Background(), in, sub, Options{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", uri, err, want)
		}
	}
}

func TestFetchUsesVerifiedWorkspaceFile(t *testing.T) {
	srv := newServer(t)
	data := []byte("already here")
	ws, cache := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ws, "x.bin"), data, 0o644)
	in := FetchInput{URI: srv.URL + "/x.bin", ExpectedSHA256: sha256Hex(data)}
	if _, err := Fetch(context.Background(), in, ws, fetchOpts(cache)); err != nil {
		t.Fatal(err)
	}
	if srv.count("/x.bin") != 0 {
		t.Error("downloaded although the workspace held the verified file")
	}
	if _, err := os.Stat(filepath.Join(cache, "sha256:"+sha256Hex(data))); err != nil {
		t.Errorf("verified workspace file not cached: %v", err)
	}
}

func TestFetchRejectsMaliciousArchive(t *testing.T) {
	srv := newServer(t)
	base := t.TempDir()
	ws := filepath.Join(base, "ws")
	os.Mkdir(ws, 0o755)
	for name, data := range maliciousTars(t) {
		srv.files["/"+name+".tar"] = data
		in := FetchInput{URI: srv.URL + "/" + name + ".tar", ExpectedSHA256: sha256Hex(data), Extract: true, StripComponents: 1}
		if _, err := Fetch(context.Background(), in, ws, Options{}); !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%s: err = %v, want ErrUnsafePath", name, err)
		}
	}
	// Only the downloaded artifacts are left: nothing extracted, no
	// staging directory, nothing outside the workspace.
	for _, e := range listTree(t, base) {
		name, _, _ := strings.Cut(e, " ")
		if name != "ws/" && !(strings.HasPrefix(name, "ws/") && strings.HasSuffix(name, ".tar") && !strings.Contains(name[3:], "/")) {
			t.Errorf("unexpected entry %s", name)
		}
	}
}

func TestFetchInputErrors(t *testing.T) {
	cases := []struct {
		in    FetchInput
		input string
	}{
		{FetchInput{}, "uri"},
		{FetchInput{URI: "https://x/a.tgz"}, "expected-sha256"},
		{FetchInput{URI: "https://x/a.tgz", ExpectedSHA256: "abc"}, "expected-sha256"},
		{FetchInput{URI: "https://x/a.tgz", ExpectedSHA512: strings.Repeat("a", 64)}, "expected-sha512"},
		{FetchInput{URI: "https://x/a.tgz", ExpectedNone: true, Directory: "../up"}, "directory"},
		{FetchInput{URI: "https://x/a.tgz", ExpectedNone: true, Directory: "/abs"}, "directory"},
		{FetchInput{URI: "ftp://x/a.tgz", ExpectedNone: true}, "uri"},
		{FetchInput{URI: "https://x/..", ExpectedNone: true}, "uri"},
	}
	for _, c := range cases {
		_, err := Fetch(context.Background(), c.in, t.TempDir(), Options{})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != c.input {
			t.Errorf("%+v: err = %v, want an InputError on %s", c.in, err, c.input)
		}
	}
}

func BenchmarkExtractTarGz(b *testing.B) {
	var tree []member
	for i := range 2000 {
		tree = append(tree, member{name: "pkg/d" + strconv.Itoa(i%50) + "/f" + strconv.Itoa(i), typ: '0',
			body: strings.Repeat("x", 4096), mode: 0o644})
	}
	arch := filepath.Join(b.TempDir(), "b.tar.gz")
	os.WriteFile(arch, gz(b, makeTar(b, tree)), 0o644)
	b.ResetTimer()
	for b.Loop() {
		if err := Extract(context.Background(), arch, b.TempDir(), 1, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFetchGivesUpOnPermanentErrors: a host that does not exist or a
// certificate that does not verify ends the fetch at once (wget does not
// retry them either); a DNS failure that may pass is retried.
func TestFetchGivesUpOnPermanentErrors(t *testing.T) {
	in := FetchInput{URI: "https://no-such-host.example/p.tar.gz", ExpectedSHA256: strings.Repeat("0", 64), RetryLimit: 3}
	for _, tc := range []struct {
		name  string
		err   *net.DNSError
		dials int
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "no-such-host.example", IsNotFound: true}, 1},
		{"temporary failure", &net.DNSError{Err: "temporary failure in name resolution", Name: "no-such-host.example", IsTemporary: true}, 3},
	} {
		dials := 0
		client := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
			dials++
			return nil, tc.err
		}}}
		var waits []time.Duration
		_, err := Fetch(t.Context(), in, t.TempDir(), Options{HTTPClient: client, sleep: noWait(&waits)})
		if err == nil || !strings.Contains(err.Error(), tc.err.Err) || dials != tc.dials {
			t.Errorf("%s: %d dials, %v; want %d", tc.name, dials, err, tc.dials)
		}
		if tc.dials == 1 && strings.Contains(err.Error(), "attempts") {
			t.Errorf("%s: %v claims several attempts", tc.name, err)
		}
	}

	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	dials := 0
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials++
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	in.URI = srv.URL + "/p.tar.gz"
	_, err := Fetch(t.Context(), in, t.TempDir(), Options{HTTPClient: client, sleep: noWait(new([]time.Duration))})
	var certErr *tls.CertificateVerificationError
	if !errors.As(err, &certErr) || dials != 1 {
		t.Errorf("untrusted certificate: %d dials, %v; want one, and the certificate error", dials, err)
	}
}
