package repo

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const apkPath = "/os/x86_64/replayout-1.0.0-r0.apk"

// download runs one fetcher.get of path into a temp file and returns its
// content.
func download(t *testing.T, ctx context.Context, s *server, opts Options, path string) ([]byte, error) {
	t.Helper()
	dst := &spool{path: filepath.Join(t.TempDir(), "download")}
	defer dst.discard()
	if _, err := newFetcher(opts).get(ctx, request{url: s.URL + path}, dst); err != nil {
		return nil, err
	}
	f, err := dst.file()
	if err != nil {
		t.Fatal(err)
	}
	return io.ReadAll(f)
}

func TestGetRetries(t *testing.T) {
	tests := []struct {
		name     string
		script   []action
		retries  int
		wantHits int
		wantErr  string // empty: success
	}{
		{"500 then success", []action{fail500}, 0, 2, ""},
		{"503 twice then success", []action{fail503, fail503}, 0, 3, ""},
		{"truncated then success", []action{truncate}, 0, 2, ""},
		{"500 until the retries run out", []action{fail500, fail500, fail500, fail500}, 0, 4, "500 Internal Server Error (gave up after 4 attempts)"},
		{"truncated until the retries run out", []action{truncate, truncate, truncate}, 2, 3, "truncated body"},
		{"no retries", []action{fail503}, -1, 1, "503 Service Unavailable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			s.then(apkPath, tc.script...)
			opts := testOptions(t)
			opts.Retries = tc.retries
			got, err := download(t, t.Context(), s, opts, apkPath)
			if hits, _, _ := s.counts(apkPath); hits != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", hits, tc.wantHits)
			}
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, s.get(apkPath)) {
					t.Fatalf("downloaded %d bytes that differ from the %d served", len(got), len(s.get(apkPath)))
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), s.URL+apkPath) {
				t.Errorf("error %q does not name the URL", err)
			}
		})
	}
}

func TestGetNotFound(t *testing.T) {
	s := newServer(t)
	_, err := download(t, t.Context(), s, testOptions(t), "/os/x86_64/missing-1.0-r0.apk")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound {
		t.Fatalf("err = %#v, want an *HTTPError with status 404", err)
	}
	if want := "GET " + s.URL + "/os/x86_64/missing-1.0-r0.apk: 404 Not Found"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
	if hits, _, _ := s.counts("/os/x86_64/missing-1.0-r0.apk"); hits != 1 {
		t.Errorf("a 404 was requested %d times, want 1 (no retry)", hits)
	}
}

// A server that never answers is cut off by the caller's deadline, and
// nothing is retried after that.
func TestGetContextDeadline(t *testing.T) {
	s := newServer(t)
	s.then(apkPath, block, block, block, block)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := download(t, ctx, s, testOptions(t), apkPath)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if hits, _, _ := s.counts(apkPath); hits != 1 {
		t.Errorf("%d requests, want 1: a request must not be retried once the context has ended", hits)
	}
}

// Cancelling while waiting to retry returns at once.
func TestGetCancelDuringBackoff(t *testing.T) {
	s := newServer(t)
	s.then(apkPath, fail500)
	ctx, cancel := context.WithCancel(t.Context())
	opts := testOptions(t)
	opts.backoff = func(int) time.Duration { cancel(); return time.Hour }
	_, err := download(t, ctx, s, opts, apkPath)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A body that stops arriving is abandoned after StallTimeout and retried.
func TestGetStall(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	opts.StallTimeout = 50 * time.Millisecond
	opts.Retries = -1
	s.then(apkPath, stallMidway)
	if _, err := download(t, t.Context(), s, opts, apkPath); !errors.Is(err, ErrStalled) {
		t.Fatalf("err = %v, want ErrStalled", err)
	}

	opts.Retries = 1
	s.then(apkPath, stallMidway)
	got, err := download(t, t.Context(), s, opts, apkPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, s.get(apkPath)) {
		t.Fatal("the retried download differs from the file")
	}
}

func TestGetProgress(t *testing.T) {
	s := newServer(t)
	opts := testOptions(t)
	var mu sync.Mutex
	var calls [][2]int64
	opts.Progress = func(url string, done, total int64) {
		if url != s.URL+apkPath {
			t.Errorf("progress for %q", url)
		}
		mu.Lock()
		calls = append(calls, [2]int64{done, total})
		mu.Unlock()
	}
	if _, err := download(t, t.Context(), s, opts, apkPath); err != nil {
		t.Fatal(err)
	}
	size := int64(len(s.get(apkPath)))
	if len(calls) == 0 {
		t.Fatal("no progress reported")
	}
	for i, c := range calls {
		if c[1] != size || c[0] > size || (i > 0 && c[0] <= calls[i-1][0]) {
			t.Fatalf("progress call %d = %v (size %d): not increasing towards the total", i, c, size)
		}
	}
	if last := calls[len(calls)-1]; last[0] != size {
		t.Fatalf("last progress %v, want done = %d", last, size)
	}
}

// The cache directory is created where asked.
func TestCacheDirOption(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	got, err := Options{CacheDir: dir}.cacheDir()
	if err != nil || got != dir {
		t.Fatalf("cacheDir = %q, %v", got, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("cache directory not created: %v", err)
	}
}

type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// Options.HTTPClient replaces the shared client.
func TestHTTPClientOption(t *testing.T) {
	s := newServer(t)
	ct := &countingTransport{}
	opts := testOptions(t)
	opts.HTTPClient = &http.Client{Transport: ct}
	r := openHTTP(t, s, opts)
	mustIndex(t, r)
	if ct.n != 1 {
		t.Fatalf("custom client made %d requests, want 1", ct.n)
	}
}

// A TLS certificate that does not verify is not retried.
func TestGetBadCertificate(t *testing.T) {
	s := httptest.NewTLSServer(http.NotFoundHandler())
	defer s.Close()
	opts := testOptions(t)
	tmp := &spool{path: filepath.Join(t.TempDir(), "download")}
	defer tmp.discard()
	_, err := newFetcher(opts).get(t.Context(), request{url: s.URL + "/x"}, tmp)
	var certErr *tls.CertificateVerificationError
	if !errors.As(err, &certErr) || strings.Contains(err.Error(), "gave up") {
		t.Fatalf("err = %v, want a certificate error without retries", err)
	}
}
