package netrec

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// dialRaw connects to addr, with a deadline for the test, and writes raw.
func dialRaw(t *testing.T, addr, raw string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	return c
}

// startServer serves handler on a loopback port.
func startServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) (*server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{handler: handler}
	go s.serve(l)
	t.Cleanup(func() { s.close() })
	return s, l.Addr().String()
}

// exchangeRaw writes raw on a new connection and returns every answer
// read, in order, and whether the server then closed the connection
// (when it did not, another request on it is answered).
func exchangeRaw(t *testing.T, addr, raw string, answers int, method string) ([]*http.Response, []string, bool) {
	t.Helper()
	c := dialRaw(t, addr, raw)
	br := bufio.NewReader(c)
	var resps []*http.Response
	var bodies []string
	for range answers {
		resp, err := http.ReadResponse(br, &http.Request{Method: method})
		if err != nil {
			t.Fatalf("answer %d: %v", len(resps)+1, err)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("answer %d body: %v", len(resps)+1, err)
		}
		resps = append(resps, resp)
		bodies = append(bodies, string(b))
	}
	io.WriteString(c, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return resps, bodies, true
	}
	if b, err := io.ReadAll(resp.Body); err != nil || string(b) != "small body" {
		t.Fatalf("a request on the kept connection: %q, %v", b, err)
	}
	return resps, bodies, false
}

func TestServerFramesAnswers(t *testing.T) {
	big := strings.Repeat("b", 3*preCommit)
	handler := func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/small":
			io.WriteString(w, "small body")
		case "/big":
			io.WriteString(w, big)
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			io.WriteString(w, big)
		case "/short":
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, "only this")
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/abort":
			io.WriteString(w, big)
			panic(http.ErrAbortHandler)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Write(b)
		case "/ignore":
			io.WriteString(w, "ignored the body")
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		}
	}
	_, addr := startServer(t, handler)
	get := func(path, extra string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n"
	}
	for _, tc := range []struct {
		name, raw, method string
		answers           int
		bodies            []string
		lengths           []int64 // ContentLength seen, -1 chunked or unknown
		closed            bool
	}{
		{"small answers get a length, and the connection is kept", get("/small", "") + get("/small", ""), "GET", 2,
			[]string{"small body", "small body"}, []int64{10, 10}, false},
		{"a large answer without a length is chunked", get("/big", "") + get("/small", ""), "GET", 2,
			[]string{big, "small body"}, []int64{-1, 10}, false},
		{"a declared length is kept", get("/length", ""), "GET", 1, []string{big}, []int64{int64(len(big))}, false},
		{"an HTTP/1.0 client gets the end of the body as the end of the connection",
			"GET /big HTTP/1.0\r\n\r\n", "GET", 1, []string{big}, []int64{-1}, true},
		{"Connection: close from the client closes after the answer", get("/small", "Connection: close\r\n"), "GET", 1,
			[]string{"small body"}, []int64{10}, true},
		{"Connection: close from the handler closes after the answer", get("/close", ""), "GET", 1,
			[]string{"bye"}, []int64{3}, true},
		{"HEAD gets no body", "HEAD /length HTTP/1.1\r\nHost: x\r\n\r\n" + get("/small", ""), "HEAD", 1,
			[]string{""}, []int64{int64(len(big))}, false},
		{"204 has no body", get("/empty", "") + get("/small", ""), "GET", 2, []string{"", "small body"}, []int64{0, 10}, false},
		{"a request body is read", "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get("/small", ""), "GET", 2,
			[]string{"hello", "small body"}, []int64{5, 10}, false},
		{"an unread request body is skipped", "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + get("/small", ""), "GET", 2,
			[]string{"ignored the body", "small body"}, []int64{16, 10}, false},
		{"a malformed request gets 400 and the end", "NOT HTTP\r\n\r\n", "GET", 1,
			[]string{"400 Bad Request"}, []int64{-1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resps, bodies, closed := exchangeRaw(t, addr, tc.raw, tc.answers, tc.method)
			for i, resp := range resps {
				if bodies[i] != tc.bodies[i] {
					t.Errorf("answer %d: body of %d bytes, want %d", i+1, len(bodies[i]), len(tc.bodies[i]))
				}
				if resp.ContentLength != tc.lengths[i] {
					t.Errorf("answer %d: length %d, want %d", i+1, resp.ContentLength, tc.lengths[i])
				}
				if chunked := len(resp.TransferEncoding) > 0; chunked != (tc.lengths[i] < 0 && resp.ProtoAtLeast(1, 1) && !tc.closed) {
					t.Errorf("answer %d: chunked %v", i+1, chunked)
				}
			}
			if closed != tc.closed {
				t.Errorf("connection closed %v, want %v", closed, tc.closed)
			}
		})
	}

	t.Run("an aborted answer ends the connection", func(t *testing.T) {
		c := dialRaw(t, addr, get("/abort", ""))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(resp.Body); err == nil {
			t.Errorf("read %d bytes of an aborted chunked answer without error", len(b))
		}
	})
	t.Run("a body shorter than its length ends the connection", func(t *testing.T) {
		c := dialRaw(t, addr, get("/short", ""))
		b, err := io.ReadAll(c)
		closed := !isTimeout(err) && strings.HasSuffix(string(b), "only this")
		if !closed {
			t.Error("the connection was kept after a body shorter than its declared length")
		}
	})
}

// exchangeRawPartial reads everything the server sends until it closes
// (or resets) the connection; closed is false when it kept it open.
func exchangeRawPartial(t *testing.T, addr, raw string) (string, error, bool) {
	c := dialRaw(t, addr, raw)
	b, err := io.ReadAll(c)
	return string(b), err, !isTimeout(err)
}

func TestServerExpectContinue(t *testing.T) {
	_, addr := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Write(bytes.ToUpper(b))
	})
	c := dialRaw(t, addr, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("first line %q (%v), want 100 Continue before the body is sent", line, err)
	}
	br.ReadString('\n')
	io.WriteString(c, "abc")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); string(b) != "ABC" {
		t.Errorf("body %q", b)
	}
}

func TestServerBoundsTheHead(t *testing.T) {
	_, addr := startServer(t, func(w http.ResponseWriter, r *http.Request) {})
	raw := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", maxHeadBytes+8<<10) + "\r\n\r\n"
	out, _, closed := exchangeRawPartial(t, addr, raw)
	if !strings.HasPrefix(out, "HTTP/1.1 431 ") || !closed {
		t.Errorf("answer %.40q, closed %v; want 431 and the end", out, closed)
	}
}

func TestServerCloseEndsIdleConnections(t *testing.T) {
	s, addr := startServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	c := dialRaw(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	s.close()
	if n, err := br.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("read %d bytes, %v after close; want the end of the connection", n, err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the server still accepts after close")
	}
}

// FuzzServer feeds arbitrary bytes to a connection: the server answers or
// closes, and never hangs or panics.
func FuzzServer(f *testing.F) {
	f.Add([]byte("GET http://a.test/x HTTP/1.1\r\nHost: a.test\r\n\r\n"))
	f.Add([]byte("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n"))
	f.Add([]byte("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := &server{handler: func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
			w.Write(b)
		}}
		client, conn := net.Pipe()
		done := make(chan struct{})
		s.track(conn, true)
		go func() {
			s.serveConn(conn)
			close(done)
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(in)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not end the connection")
		}
	})
}

// warnSignal is a slog handler that signals its first warning.
type warnSignal struct {
	slog.Handler
	once sync.Once
	ch   chan string
}

func (w *warnSignal) Enabled(context.Context, slog.Level) bool { return true }

func (w *warnSignal) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.once.Do(func() { w.ch <- r.Message })
	}
	return nil
}

// A step cannot hold more than maxConns connections at once: the next
// one waits, with a warning, until one of them closes, hijacked
// connections included.
func TestServerBoundsConnections(t *testing.T) {
	var served atomic.Int32
	handler := func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.Method == http.MethodConnect {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { io.Copy(io.Discard, c); c.Close() }()
			}
			return
		}
		io.WriteString(w, "ok")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	warned := &warnSignal{Handler: slog.DiscardHandler, ch: make(chan string, 1)}
	s := &server{handler: handler, maxConns: 2, log: slog.New(warned)}
	go s.serve(l)
	t.Cleanup(func() { s.close() })
	addr := l.Addr().String()

	read := func(c net.Conn) string {
		t.Helper()
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status
	}
	get := "GET /x HTTP/1.1\r\nHost: x\r\n\r\n"
	first := dialRaw(t, addr, get)
	read(first)
	tunnel := dialRaw(t, addr, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
	read(tunnel) // hijacked: it holds its slot until it closes
	third := dialRaw(t, addr, get)
	select {
	case msg := <-warned.ch:
		if !strings.Contains(msg, "most connections") {
			t.Errorf("warning %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a third connection was taken with two open and a bound of two")
	}
	if n := served.Load(); n != 2 {
		t.Fatalf("%d requests served while the third connection waits, want 2", n)
	}
	tunnel.Close() // the hijacked connection's slot comes back
	if got := read(third); got != "200 OK" {
		t.Errorf("third connection: %s", got)
	}
	if n := served.Load(); n != 3 {
		t.Errorf("%d requests served, want 3", n)
	}
}
