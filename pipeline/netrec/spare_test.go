package netrec

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"
)

// closingOrigin is a plain HTTP server that answers one request per
// connection and closes it, noting when each connection was accepted and
// when its request arrived.
type closingOrigin struct {
	l        net.Listener
	mu       sync.Mutex
	accepted int // connections

	asked  []int // the connection each request came on
	closed int   // connections that ended
	done   chan struct{}
}

func newClosingOrigin(t *testing.T) *closingOrigin {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &closingOrigin{l: l, done: make(chan struct{}, 16)}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			o.mu.Lock()
			id := o.accepted
			o.accepted++
			o.mu.Unlock()
			go o.serve(c, id)
		}
	}()
	return o
}

func (o *closingOrigin) serve(c net.Conn, id int) {
	defer func() {
		c.Close()
		o.mu.Lock()
		o.closed++
		o.mu.Unlock()
		o.done <- struct{}{}
	}()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	o.mu.Lock()
	o.asked = append(o.asked, id)
	o.mu.Unlock()
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"+req.URL.Path[1:6])
}

// A server that closes every connection gets the next request on a
// spare connection opened after the previous answer, so a step fetching
// many files waits for no connect; Close closes the last spare.
func TestSpareConnectionForClosingServers(t *testing.T) {
	o := newClosingOrigin(t)
	spares := make(chan struct{}, 8)
	// origin.test resolves to a documentation address, and every
	// connection to it goes to the origin.
	up := &Upstream{
		Lookup: func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("192.0.2.1")}, nil
		},
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, o.l.Addr().String())
		},
	}
	p, err := New(Config{Mode: Record, Upstream: up})
	if err != nil {
		t.Fatal(err)
	}
	p.up.onSpare = func() { spares <- struct{}{} }
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Serve(l)
	pu, _ := url.Parse(ProxyURL(l.Addr().String()))
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), DisableKeepAlives: true}}
	target := "http://origin.test"
	for i, path := range []string{"/first", "/second", "/third"} {
		if i > 0 {
			select {
			case <-spares:
			case <-time.After(10 * time.Second):
				t.Fatal("no spare connection was opened after an answer that closed its connection")
			}
		}
		status, body := get(t, c, target+path)
		if status != 200 || body != path[1:6] {
			t.Fatalf("%s: %d %q", path, status, body)
		}
		// Connections are accepted in the order they were opened: the
		// spare opened before request i is connection i, and a
		// connection opened for the request itself would come after it.
		o.mu.Lock()
		if o.asked[i] != i {
			t.Errorf("%s came on connection %d, want the spare, %d", path, o.asked[i], i)
		}
		o.mu.Unlock()
	}
	<-spares
	p.Close()
	// Four connections end: three answered, and the spare left at the
	// end, which Close closes.
	for range 4 {
		select {
		case <-o.done:
		case <-time.After(10 * time.Second):
			o.mu.Lock()
			t.Fatalf("%d of %d connections ended; Close leaves the last spare open", o.closed, o.accepted)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.accepted != 4 || len(o.asked) != 3 {
		t.Errorf("%d connections, %d requests; want 4 and 3", o.accepted, len(o.asked))
	}
}
