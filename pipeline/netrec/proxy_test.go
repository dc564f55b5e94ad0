package netrec

import (
	"context"
	"crypto/x509"
	"flag"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite golden files")

// internet is two local servers playing the internet: mods.example.com over
// HTTPS and files.test over plain HTTP. Bodies can be changed mid-test.
type internet struct {
	tls, plain *httptest.Server
	mu         sync.Mutex
	bodies     map[string]string // path → body
}

func newInternet(t *testing.T) *internet {
	in := &internet{bodies: map[string]string{
		"/mod/a.zip": "module a, version 1",
		"/mod/b.mod": "module b\n",
		"/f.txt":     "a plain file",
	}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in.mu.Lock()
		body, ok := in.bodies[r.URL.Path]
		in.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, body)
	})
	in.tls = httptest.NewUnstartedServer(h)
	in.tls.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	in.tls.StartTLS()
	in.plain = httptest.NewServer(h)
	t.Cleanup(in.stop)
	return in
}

func (in *internet) stop() { in.tls.Close(); in.plain.Close() }

func (in *internet) set(path, body string) {
	in.mu.Lock()
	in.bodies[path] = body
	in.mu.Unlock()
}

// upstream resolves mods.example.com and files.test to the local servers and
// trusts the TLS server's certificate.
func (in *internet) upstream() *Upstream {
	pool := x509.NewCertPool()
	pool.AddCert(in.tls.Certificate())
	return &Upstream{RootCAs: pool, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		target := map[string]string{"mods.example.com": in.tls.Listener.Addr().String(), "files.test": in.plain.Listener.Addr().String()}[host]
		if target == "" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return (&net.Dialer{}).DialContext(ctx, network, target)
	}}
}

// startProxy serves cfg on a local port and returns a client that goes
// through it and trusts the build's authority.
func startProxy(t testing.TB, cfg Config) (*Proxy, *http.Client) {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Serve(l)
	proxyAddrs.Store(p, l.Addr().String())
	t.Cleanup(func() { p.Close() })
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(p.CACert()) {
		t.Fatal("the CA certificate is not PEM")
	}
	pu, _ := url.Parse(ProxyURL(l.Addr().String()))
	tr := &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: tlsConfig(pool), DisableKeepAlives: true}
	return p, &http.Client{Transport: tr}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, "read: " + err.Error()
	}
	return resp.StatusCode, string(b)
}

var urls = []string{"https://mods.example.com/mod/a.zip", "https://mods.example.com/mod/b.mod", "http://files.test/f.txt", "https://mods.example.com/missing"}

func record(t *testing.T, in *internet, cache string) *Proxy {
	t.Helper()
	p, c := startProxy(t, Config{Mode: Record, CacheDir: cache, Upstream: in.upstream()})
	for _, u := range urls {
		status, body := get(t, c, u)
		want := in.bodies[strings.TrimPrefix(strings.TrimPrefix(u, "https://mods.example.com"), "http://files.test")]
		if u == urls[3] {
			if status != 404 {
				t.Errorf("%s: status %d, want 404", u, status)
			}
			continue
		}
		if status != 200 || body != want {
			t.Errorf("%s: %d %q, want 200 %q", u, status, body, want)
		}
	}
	p.Close() // the cache holds every recorded body once Close returns
	return p
}

func TestRecordHTTPAndHTTPS(t *testing.T) {
	in := newInternet(t)
	cache := t.TempDir()
	p := record(t, in, cache)
	data, err := MarshalLock(p.Entries())
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, "testdata/record.lock.golden", data, *update)
	for _, e := range p.Entries() {
		got, err := os.ReadFile(filepath.Join(cache, e.SHA256))
		if err != nil || int64(len(got)) != e.Size {
			t.Errorf("%s: cache holds %d bytes (%v), want %d", e.URL, len(got), err, e.Size)
		}
	}
	if got, want := p.Summary(), "network: 4 requests to 2 hosts, 59 B"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if len(p.Refusals()) != 0 {
		t.Errorf("refusals: %v", p.Refusals())
	}
}

func TestUpstreamTLSIsChecked(t *testing.T) {
	in := newInternet(t)
	up := in.upstream()
	up.RootCAs = nil // the host's trust store does not know the test server
	p, c := startProxy(t, Config{Mode: Record, Upstream: up})
	status, body := get(t, c, urls[0])
	if status != http.StatusBadGateway || !strings.Contains(body, "certificate") {
		t.Errorf("got %d %q, want 502 naming the certificate", status, body)
	}
	if rf := p.Refusals(); len(rf) != 1 || rf[0].URL != urls[0] {
		t.Errorf("refusals %v", rf)
	}
	if len(p.Entries()) != 0 {
		t.Errorf("recorded %v", p.Entries())
	}
}

func TestAllowListRefusesOtherHosts(t *testing.T) {
	in := newInternet(t)
	allow, err := ParseAllow([]string{"*.example.org", "Files.test"})
	if err != nil {
		t.Fatal(err)
	}
	p, c := startProxy(t, Config{Mode: Record, Allow: allow, Upstream: in.upstream()})
	if status, body := get(t, c, urls[2]); status != 200 || body != "a plain file" {
		t.Errorf("allowed host: %d %q", status, body)
	}
	if status, _ := get(t, c, urls[0]); status == 200 {
		t.Errorf("refused host over HTTPS answered 200")
	}
	rf := p.Refusals()
	if len(rf) != 1 || rf[0].Host != "mods.example.com:443" || !strings.Contains(rf[0].Message, "--network-allow=*.example.org,files.test,mods.example.com") {
		t.Fatalf("refusals %+v", rf)
	}
	// Plain HTTP gets the 403 body naming the host and the flag.
	status, body := get(t, c, "http://mods.example.com/f.txt")
	if status != 403 || !strings.Contains(body, "host mods.example.com is not allowed by --network-allow") {
		t.Errorf("plain refusal: %d %q", status, body)
	}
}

func TestReplayServesTheLockOnly(t *testing.T) {
	in := newInternet(t)
	cache := t.TempDir()
	rec := record(t, in, cache)
	data, _ := MarshalLock(rec.Entries())
	lock, err := ParseLock(data)
	if err != nil {
		t.Fatal(err)
	}
	in.stop()
	p, c := startProxy(t, Config{Mode: Replay, Lock: lock, LockPath: "x.network.json", CacheDir: cache, Upstream: in.upstream()})
	for _, u := range urls[:3] {
		if status, _ := get(t, c, u); status != 200 {
			t.Errorf("%s: replay status %d", u, status)
		}
	}
	if status, _ := get(t, c, urls[3]); status != 404 {
		t.Errorf("the recorded 404 replays as %d", status)
	}
	again, _ := MarshalLock(p.Entries())
	if string(again) != string(data) {
		t.Errorf("replay served a different record:\n%s\nwant\n%s", again, data)
	}
	status, body := get(t, c, "https://mods.example.com/mod/c.zip")
	if status != 403 || !strings.Contains(body, "GET https://mods.example.com/mod/c.zip is not in the network lock x.network.json") {
		t.Errorf("unrecorded URL: %d %q", status, body)
	}
}

func TestReplayRefusesAChangedBody(t *testing.T) {
	in := newInternet(t)
	cache := t.TempDir()
	rec := record(t, in, cache)
	data, _ := MarshalLock(rec.Entries())
	lock, _ := ParseLock(data)
	var sum string
	for _, e := range lock.Requests {
		if e.URL == urls[0] {
			sum = e.SHA256
		}
	}
	// In the cache: a changed body is refused on the way out.
	if err := os.WriteFile(filepath.Join(cache, sum), []byte("module a, version 2"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, c := startProxy(t, Config{Mode: Replay, Lock: lock, CacheDir: cache, Upstream: in.upstream()})
	if status, body := get(t, c, urls[0]); status != 502 || !strings.Contains(body, "checksum mismatch") {
		t.Errorf("changed cache entry: %d %q", status, body)
	}
	// Not cached: fetched, and a changed body from the server is refused too.
	os.Remove(filepath.Join(cache, sum))
	in.set("/mod/a.zip", "module a, version 3")
	if status, body := get(t, c, urls[0]); status != 502 || !strings.Contains(body, "checksum mismatch") {
		t.Errorf("changed upstream body: %d %q", status, body)
	}
	if n := len(p.Refusals()); n != 2 {
		t.Errorf("%d refusals, want 2", n)
	}
	// The unchanged body, fetched again, is served and cached.
	in.set("/mod/a.zip", "module a, version 1")
	if status, body := get(t, c, urls[0]); status != 200 || body != "module a, version 1" {
		t.Errorf("refetched: %d %q", status, body)
	}
	if _, err := os.Stat(filepath.Join(cache, sum)); err != nil {
		t.Errorf("refetched body not cached: %v", err)
	}
}

func TestProxyRejectsOriginRequests(t *testing.T) {
	p, err := New(Config{Mode: Record})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.serveProxy(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 400 {
		t.Errorf("a request that is not a proxy request got %d", rec.Code)
	}
}

func TestLoopbackGoesToTheSandbox(t *testing.T) {
	// The "sandbox" loopback: a server the Local dialer reaches.
	sandbox := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "inside")
	}))
	defer sandbox.Close()
	local := func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, _ := net.SplitHostPort(addr)
		if port != "8080" {
			return nil, &net.OpError{Op: "dial", Err: io.EOF}
		}
		return (&net.Dialer{}).DialContext(ctx, network, sandbox.Listener.Addr().String())
	}
	allow, _ := ParseAllow([]string{"only.example.org"})
	p, c := startProxy(t, Config{Mode: Replay, Allow: allow, Local: local})
	for _, u := range []string{"http://127.0.0.1:8080/", "http://localhost:8080/x"} {
		if status, body := get(t, c, u); status != 200 || body != "inside" {
			t.Errorf("%s: %d %q, want the sandbox's answer", u, status, body)
		}
	}
	// CONNECT to the loopback is a plain tunnel (no authority in between).
	conn, err := net.Dial("tcp", p.outerAddr(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "CONNECT 127.0.0.1:8080 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\nGET / HTTP/1.0\r\n\r\n")
	all, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(all), "HTTP/1.1 200") || !strings.HasSuffix(string(all), "inside") {
		t.Errorf("tunnel to the loopback: %q", all)
	}
	if len(p.Entries()) != 0 || len(p.Refusals()) != 0 {
		t.Errorf("loopback traffic was recorded or refused: %v %v", p.Entries(), p.Refusals())
	}
}

// A URL that answers with a new body during the build is worth a
// warning: replay can serve only one of them. A refetch of the same
// body, or an error, is not.
func TestRecordWarnsOfAChangedBody(t *testing.T) {
	in := newInternet(t)
	var buf fixture.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	p, c := startProxy(t, Config{Mode: Record, Upstream: in.upstream(), Logger: logger})
	get(t, c, urls[0])
	get(t, c, urls[0])
	get(t, c, urls[3]) // 404
	get(t, c, urls[3])
	if strings.Contains(buf.String(), "different bodies") {
		t.Fatalf("warned without a change:\n%s", buf.String())
	}
	in.set("/mod/a.zip", "module a, version 2")
	get(t, c, urls[0])
	in.set("/mod/a.zip", "module a, version 3")
	get(t, c, urls[0])
	p.Close()
	if n := strings.Count(buf.String(), "different bodies"); n != 1 {
		t.Errorf("%d warnings, want one for the URL:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "url="+urls[0]) {
		t.Errorf("the warning does not name %s:\n%s", urls[0], buf.String())
	}
}
