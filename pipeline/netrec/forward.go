package netrec

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
)

// isLocal reports whether hostport is one of the hosts NO_PROXY names.
func isLocal(hostport string) bool {
	host, _, _ := net.SplitHostPort(hostport)
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// forwardLocal passes a plain request for the steps' own loopback there.
func (p *Proxy) forwardLocal(w http.ResponseWriter, r *http.Request, u string) {
	if p.cfg.Local == nil {
		http.Error(w, "pestle: the proxy cannot reach the sandbox's loopback; connect to it directly (NO_PROXY)", http.StatusBadGateway)
		return
	}
	resp, err := p.roundTripWith(p.local, r, u)
	if err != nil {
		http.Error(w, "pestle: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnelLocal joins a CONNECT for the steps' own loopback to it, as is.
func (p *Proxy) tunnelLocal(w http.ResponseWriter, target string) {
	if p.cfg.Local == nil {
		http.Error(w, "pestle: the proxy cannot reach the sandbox's loopback; connect to it directly (NO_PROXY)", http.StatusBadGateway)
		return
	}
	up, err := p.cfg.Local(context.Background(), "tcp", target)
	if err != nil {
		http.Error(w, "pestle: "+err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		up.Close()
		return
	}
	go func() {
		_, _ = io.Copy(up, brw.Reader)
		closeWrite(up)
	}()
	go func() {
		_, _ = io.Copy(conn, up)
		conn.Close()
		up.Close()
	}()
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// roundTrip sends the step's request to u upstream.
func (p *Proxy) roundTrip(r *http.Request, u string) (*http.Response, error) {
	out, err := upstreamRequest(r, u)
	if err != nil {
		return nil, err
	}
	return p.up.do(out, out.URL.Scheme, withPort(out.URL.Host, out.URL.Scheme))
}

func (p *Proxy) roundTripWith(t *http.Transport, r *http.Request, u string) (*http.Response, error) {
	out, err := upstreamRequest(r, u)
	if err != nil {
		return nil, err
	}
	return t.RoundTrip(out)
}

// upstreamRequest is the step's request r, for u.
func upstreamRequest(r *http.Request, u string) (*http.Request, error) {
	var body io.Reader = r.Body
	if r.ContentLength == 0 {
		body = nil
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u, body)
	if err != nil {
		return nil, err
	}
	out.ContentLength = r.ContentLength
	copyHeader(out.Header, r.Header)
	return out, nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// relay streams the body src (length bytes, or -1 when unknown) to the
// step and into sp. A chunk goes to the step before it is hashed, except
// the last: its end is read first (which frees the connection for the
// step's next request) and done (the record) runs before the step can
// see its download complete. A step that stops reading does not stop the
// record. The error is src's.
func relay(w io.Writer, sp *spool, src io.Reader, length int64, done func()) error {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	for {
		k, rerr := src.Read(buf)
		if rerr == nil && length >= 0 && sp.size+int64(k) >= length {
			_, rerr = src.Read(buf[len(buf):]) // the end, at once
		}
		if rerr != nil && rerr != io.EOF {
			return rerr
		}
		last := rerr == io.EOF
		if last {
			sp.Write(buf[:k])
			done()
		}
		if k > 0 && w != nil {
			if _, werr := w.Write(buf[:k]); werr != nil {
				w = nil
			}
		}
		if last {
			return nil
		}
		sp.Write(buf[:k])
	}
}

// hopHeaders are not forwarded (RFC 9110, 7.6.1), nor are the proxy's.
var hopHeaders = map[string]bool{
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true,
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if !hopHeaders[k] {
			dst[k] = append([]string(nil), vs...)
		}
	}
}

// withPort adds the scheme's default port to a host without one.
func withPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return strings.ToLower(host)
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.ToLower(strings.Trim(host, "[]")), port)
}

// canonicalURL is scheme://host[:port]/path?query, without the scheme's
// default port.
func canonicalURL(scheme, hostport, requestURI string) string {
	host, port, _ := net.SplitHostPort(hostport)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if (scheme == "http" && port != "80") || (scheme == "https" && port != "443") {
		host += ":" + port
	}
	if requestURI == "" || requestURI[0] != '/' {
		requestURI = "/" + requestURI
	}
	return scheme + "://" + host + requestURI
}

type targetKey struct{}

// tunnelConn is the TLS side of a CONNECT tunnel and where it leads.
type tunnelConn struct {
	net.Conn
	target string
}

// bufferedConn reads what the hijacked connection had buffered first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// tunnelQueue is the inner server's listener: the tunnels connect opens.
type tunnelQueue struct {
	ch   chan net.Conn
	done chan struct{}
	once sync.Once
}

func (q *tunnelQueue) put(c net.Conn) bool {
	select {
	case q.ch <- c:
		return true
	case <-q.done:
		return false
	}
}

func (q *tunnelQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *tunnelQueue) close()         { q.once.Do(func() { close(q.done) }) }
func (q *tunnelQueue) Close() error   { q.close(); return nil }
func (q *tunnelQueue) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
