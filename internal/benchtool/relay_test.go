package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// The relay hands a proxy request to the server it names, in origin
// form, and the whole answer back.
func TestRelayForwardsProxyRequests(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 20000)
	var gotURI string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotURI = r.RequestURI
		w.Write(body)
	}))
	defer srv.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go relay(l)
	proxy, _ := url.Parse("http://" + l.Addr().String())
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxy), DisableKeepAlives: true}}
	resp, err := c.Get(srv.URL + "/f1?x=1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body) {
		t.Fatalf("status %d, %d bytes (want %d), err %v", resp.StatusCode, len(got), len(body), err)
	}
	if gotURI != "/f1?x=1" {
		t.Errorf("the server was asked for %q, want /f1?x=1", gotURI)
	}
}

func TestOriginForm(t *testing.T) {
	for _, c := range []struct{ in, line, host string }{
		{"GET http://127.0.0.2:18765/f1 HTTP/1.1\r\n", "GET /f1 HTTP/1.1\r\n", "127.0.0.2:18765"},
		{"GET http://example.org HTTP/1.0\r\n", "GET / HTTP/1.0\r\n", "example.org:80"},
		{"HEAD http://[::1]:8080/a/b?c HTTP/1.1\r\n", "HEAD /a/b?c HTTP/1.1\r\n", "[::1]:8080"},
		{"GET /f1 HTTP/1.1\r\n", "", ""},
		{"CONNECT example.org:443 HTTP/1.1\r\n", "", ""},
		{"garbage\n", "", ""},
	} {
		line, host, err := originForm(c.in)
		if (err != nil) != (c.line == "") || line != c.line || host != c.host {
			t.Errorf("originForm(%q) = %q, %q, %v; want %q, %q", c.in, line, host, err, c.line, c.host)
		}
	}
}
