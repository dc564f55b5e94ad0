package netrec

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// countingUpstream is in.upstream() counting the connections it opens.
func countingUpstream(in *internet, dials *atomic.Int32) *Upstream {
	up := in.upstream()
	dial := up.Dial
	up.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return dial(ctx, network, addr)
	}
	return up
}

// The proxy keeps the connections servers leave open: many requests to
// one host over HTTP and HTTPS cost one connection each way.
func TestUpstreamConnectionsAreKept(t *testing.T) {
	in := newInternet(t)
	var dials atomic.Int32
	p, c := startProxy(t, Config{Mode: Record, Upstream: countingUpstream(in, &dials)})
	for i := range 5 {
		for _, u := range urls[:3] {
			if status, body := get(t, c, u); status != 200 || body == "" {
				t.Fatalf("round %d, %s: %d %q", i, u, status, body)
			}
		}
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("%d upstream connections for 15 requests to 2 hosts, want 2", n)
	}
	if n := len(p.Entries()); n != 3 {
		t.Errorf("%d entries, want the 3 distinct requests", n)
	}
}

// A server that closed a kept connection meanwhile is asked again on a
// new one, and the step never sees the failure.
func TestUpstreamClosedKeptConnectionIsRedialled(t *testing.T) {
	in := newInternet(t)
	var dials atomic.Int32
	p, c := startProxy(t, Config{Mode: Record, Upstream: countingUpstream(in, &dials)})
	if status, _ := get(t, c, urls[2]); status != 200 {
		t.Fatalf("first request: %d", status)
	}
	in.plain.CloseClientConnections()
	if status, body := get(t, c, urls[2]); status != 200 || body != "a plain file" {
		t.Fatalf("after the server closed the kept connection: %d %q", status, body)
	}
	if n := dials.Load(); n != 2 {
		t.Errorf("%d upstream connections, want 2", n)
	}
	if len(p.Refusals()) != 0 {
		t.Errorf("refusals: %v", p.Refusals())
	}
}

// A download is on record by the time the step has all of it, whether
// the server gives its length or not, and bodies larger than a spool
// keeps in memory are cached and verify like small ones.
func TestRecordIsCompleteWhenTheStepHasTheBody(t *testing.T) {
	bodies := map[string][]byte{}
	for i, size := range []int{0, 1, 70 << 10, maxMemBody + 1, 3 << 20} {
		b := make([]byte, size)
		for j := range b {
			b[j] = byte(j*31 + i)
		}
		bodies["/b"+strconv.Itoa(i)] = b
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := bodies[r.URL.Path]
		if r.URL.Query().Has("chunked") {
			w.Header().Set("Transfer-Encoding", "chunked")
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		}
		w.Write(b)
	}))
	defer srv.Close()
	up := &Upstream{Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	cache := t.TempDir()
	p, c := startProxy(t, Config{Mode: Record, CacheDir: cache, Upstream: up})
	n := 0
	for _, query := range []string{"", "?chunked"} {
		for i := range len(bodies) {
			path := "/b" + strconv.Itoa(i)
			u := "http://files.test" + path + query
			status, body := get(t, c, u)
			if status != 200 || !bytes.Equal([]byte(body), bodies[path]) {
				t.Fatalf("%s: status %d, %d bytes, want %d", u, status, len(body), len(bodies[path]))
			}
			// No waiting: the entry must be there already.
			n++
			es := p.Entries()
			if len(es) != n {
				t.Fatalf("%s: %d entries right after the download, want %d", u, len(es), n)
			}
			sum := sha256.Sum256(bodies[path])
			found := false
			for _, e := range es {
				found = found || e.URL == u && e.SHA256 == hex.EncodeToString(sum[:]) && e.Size == int64(len(bodies[path]))
			}
			if !found {
				t.Fatalf("%s: not on record with its checksum: %+v", u, es)
			}
		}
	}
	p.Close() // waits for the cache
	for _, e := range p.Entries() {
		f, err := p.store.open(e.SHA256, e.Size)
		if err != nil {
			t.Errorf("%s: %v", e.URL, err)
			continue
		}
		f.Close()
	}
}

// A body cut short by the server is not recorded, and the step sees it
// cut too.
func TestCutBodyIsNotRecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hj := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly some")
		conn.Close()
	}))
	defer srv.Close()
	up := &Upstream{Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	p, c := startProxy(t, Config{Mode: Record, CacheDir: t.TempDir(), Upstream: up})
	resp, err := c.Get("http://files.test/cut")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Error("the step read a cut body without an error")
	}
	if len(p.Entries()) != 0 {
		t.Errorf("a cut body was recorded: %+v", p.Entries())
	}
}

// hostileServer answers every request on a raw connection with answer,
// written whatever the client does (an error ends it).
func hostileServer(t *testing.T, answer func(w io.Writer, path string)) *Upstream {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	acceptEach(l, func(c net.Conn) {
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err == nil {
			answer(c, req.URL.Path)
		}
	})
	return &Upstream{Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, l.Addr().String())
	}}
}

// A server cannot make the proxy hold an endless answer head, nor loop
// on interim answers: the step gets a 502 that says why.
func TestUpstreamAnswerHeadIsBounded(t *testing.T) {
	up := hostileServer(t, func(w io.Writer, path string) {
		switch path {
		case "/head":
			io.WriteString(w, "HTTP/1.1 200 OK\r\nX-Big: ")
			line := bytes.Repeat([]byte("a"), 64<<10)
			for range 64 { // 4 MiB, or until the proxy hangs up
				if _, err := w.Write(line); err != nil {
					return
				}
			}
		case "/interim":
			for range 50 {
				if _, err := io.WriteString(w, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
					return
				}
			}
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	_, c := startProxy(t, Config{Mode: Record, Upstream: up})
	for path, want := range map[string]string{"/head": "answer head is over 1 MiB", "/interim": "more than 8 interim"} {
		status, body := get(t, c, "http://hostile.test"+path)
		if status != http.StatusBadGateway || !strings.Contains(body, want) {
			t.Errorf("%s: %d %q, want 502 saying %q", path, status, body, want)
		}
	}
}
