package repo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// melangeFiles are the files of the fixture repository, by URL path below
// the repository root.
var melangeFiles = []string{
	"x86_64/APKINDEX.tar.gz",
	"x86_64/pretend-baselayout-1.0.0-r0.apk",
	"x86_64/replayout-1.0.0-r0.apk",
	"x86_64/custom-ca-certs-1-1.0.0-r0.apk",
	"melange.rsa.pub",
}

func melangeKeyring(t testing.TB) *keys.Keyring {
	t.Helper()
	kr, err := keys.LoadKeyring(fixture.Path(t, "melange-repo", "melange.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// action is what the server does with one request for a path.
type action int

const (
	serve       action = iota // the file, with ETag and Last-Modified
	fail500                   // 500 Internal Server Error
	fail503                   // 503 Service Unavailable
	truncate                  // the headers promise the whole file, half is sent
	stallMidway               // half the file is sent, then the handler waits on release
	block                     // nothing is sent until release is closed
)

// server serves a repository tree from memory on 127.0.0.1 and records
// what it was asked.
type server struct {
	*httptest.Server
	release chan struct{} // closed at cleanup: unblocks block and stallMidway

	mu          sync.Mutex
	files       map[string][]byte // URL path -> content
	script      map[string][]action
	hits        map[string]int
	conditional map[string]int // requests carrying If-None-Match or If-Modified-Since
	notModified map[string]int // 304 answers
}

// newServer serves the fixture repository below /os/.
func newServer(t testing.TB) *server {
	t.Helper()
	s := &server{
		release:     make(chan struct{}),
		files:       map[string][]byte{},
		script:      map[string][]action{},
		hits:        map[string]int{},
		conditional: map[string]int{},
		notModified: map[string]int{},
	}
	root := fixture.Path(t, "melange-repo")
	for _, f := range melangeFiles {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		s.files["/os/"+f] = data
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

// modTime is the Last-Modified of every file.
var modTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func (s *server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	p := r.URL.Path
	s.hits[p]++
	if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
		s.conditional[p]++
	}
	act := serve
	if q := s.script[p]; len(q) > 0 {
		act, s.script[p] = q[0], q[1:]
	}
	data, ok := s.files[p]
	s.mu.Unlock()

	switch act {
	case fail500:
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case fail503:
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	case block:
		select {
		case <-s.release:
		case <-r.Context().Done():
		}
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch act {
	case truncate, stallMidway:
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		if act == stallMidway {
			select {
			case <-s.release:
			case <-r.Context().Done():
			}
		}
		return
	}
	sum := sha256.Sum256(data)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	rw := &statusWriter{ResponseWriter: w}
	http.ServeContent(rw, r, p, modTime, bytes.NewReader(data))
	if rw.status == http.StatusNotModified {
		s.mu.Lock()
		s.notModified[p]++
		s.mu.Unlock()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// then queues actions for the next requests of path.
func (s *server) then(path string, acts ...action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script[path] = append(s.script[path], acts...)
}

// set replaces the content of path.
func (s *server) set(path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = data
}

func (s *server) get(path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.files[path])
}

// counts returns hits, conditional requests and 304s of path.
func (s *server) counts(path string) (hits, conditional, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path], s.conditional[path], s.notModified[path]
}

// totalHits counts every request.
func (s *server) totalHits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		n += h
	}
	return n
}

// testOptions are Options for tests: a fresh cache, the fixture keyring,
// and no waiting between retries.
func testOptions(t testing.TB) Options {
	return Options{
		CacheDir: t.TempDir(),
		Keyring:  melangeKeyring(t),
		Arch:     "x86_64",
		backoff:  func(int) time.Duration { return 0 },
	}
}
