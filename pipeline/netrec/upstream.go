package netrec

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// client sends the steps' requests upstream over HTTP/1.1, one exchange
// per call and in the caller's goroutine, keeping connections a server
// leaves open for the next request to the same place. It replaces
// http.Transport, whose reader and writer goroutines cost every request a
// dozen thread hand-offs; a proxy serving hundreds of small downloads
// spends more on those than on the bytes.
type client struct {
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	tls  *tls.Config // RootCAs and a session cache; ServerName per host

	mu      sync.Mutex
	idle    map[string][]*upConn // by scheme://host:port
	warming map[string]bool      // a spare connection is being opened
	closed  bool
	ctx     context.Context // cancelled by closeIdle, for spares
	cancel  context.CancelFunc
	warmers sync.WaitGroup
	onSpare func() // for tests: a spare connection was kept
}

// upConn is a connection to a server and its buffered reader.
type upConn struct {
	net.Conn
	br    *bufio.Reader
	head  *headLimit // br's source: bounds an answer's head
	since time.Time  // idle since
}

// maxInterim bounds the interim (1xx) answers skipped before a request's
// answer; net/http's client allows five.
const maxInterim = 8

// errAnswerHeadTooLarge is the error of an answer whose head is over
// maxHeadBytes: a server must not make the proxy hold it in memory.
var errAnswerHeadTooLarge = fmt.Errorf("the server's answer head is over %d MiB", maxHeadBytes>>20)

const (
	maxIdlePerHost   = 16
	handshakeTimeout = 30 * time.Second
	upstreamReadBuf  = 8 << 10 // bodies are read past it, into the relay's buffer
	// maxIdle is how long a connection waits for the next request before
	// it is closed rather than used: servers close idle connections too.
	maxIdle = 10 * time.Second
)

func newClient(dial func(ctx context.Context, network, addr string) (net.Conn, error), tc *tls.Config) *client {
	tc = tc.Clone()
	tc.NextProtos = []string{"http/1.1"}
	if tc.ClientSessionCache == nil {
		tc.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &client{dial: dial, tls: tc, idle: map[string][]*upConn{}, warming: map[string]bool{}, ctx: ctx, cancel: cancel}
}

// do sends req (for an absolute URL; its body a stream read once) to
// scheme://hostport and returns the answer; closing its body keeps the
// connection for the next request when the exchange allows it.
func (c *client) do(req *http.Request, scheme, hostport string) (*http.Response, error) {
	key := scheme + "://" + hostport
	req.Header.Del("Expect") // the body follows the head at once
	replayable := req.Body == nil || req.Body == http.NoBody
	for {
		uc, reused, err := c.conn(req.Context(), key, scheme, hostport, replayable)
		if err != nil {
			return nil, err
		}
		resp, err := c.exchange(uc, req, key, scheme, hostport)
		if err == nil {
			return resp, nil
		}
		uc.Close()
		// A kept connection the server closed meanwhile fails before any
		// answer: ask again on a new one.
		if !reused || req.Context().Err() != nil {
			return nil, err
		}
	}
}

// conn is an idle connection to key, or a new one.
func (c *client) conn(ctx context.Context, key, scheme, hostport string, mayReuse bool) (*upConn, bool, error) {
	if mayReuse {
		if uc := c.idleConn(key); uc != nil {
			return uc, true, nil
		}
	}
	uc, err := c.open(ctx, scheme, hostport)
	return uc, false, err
}

// idleConn takes the newest idle connection to key that has not waited
// too long, closing those that have.
func (c *client) idleConn(key string) *upConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.idle[key]
	for len(l) > 0 {
		uc := l[len(l)-1]
		l = l[:len(l)-1]
		if time.Since(uc.since) < maxIdle {
			c.idle[key] = l
			return uc
		}
		uc.Close()
	}
	delete(c.idle, key)
	return nil
}

// open connects to scheme://hostport.
func (c *client) open(ctx context.Context, scheme, hostport string) (*upConn, error) {
	nc, err := c.dial(ctx, "tcp", hostport)
	if err != nil {
		return nil, err
	}
	if scheme == "https" {
		host, _, _ := net.SplitHostPort(hostport)
		tc := c.tls.Clone()
		tc.ServerName = host
		t := tls.Client(nc, tc)
		hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
		err := t.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, err
		}
		nc = t
	}
	head := &headLimit{c: nc, left: -1, tooLarge: errAnswerHeadTooLarge}
	return &upConn{Conn: nc, br: bufio.NewReaderSize(head, upstreamReadBuf), head: head}, nil
}

// warm opens a spare connection to key in the background, when there is
// no idle one: a server that closes every connection (many static file
// servers do) then costs the next request to it no connect, no TLS
// handshake and no wait for the server to take the connection. Only one
// spare per server is opened at a time, and each answer that closes its
// connection opens at most one, so the number of connections a server
// sees stays that of the requests, plus one at the end.
func (c *client) warm(key, scheme, hostport string) {
	c.mu.Lock()
	if c.closed || c.warming[key] || len(c.idle[key]) > 0 {
		c.mu.Unlock()
		return
	}
	c.warming[key] = true
	c.mu.Unlock()
	c.warmers.Go(func() {
		ctx, cancel := context.WithTimeout(c.ctx, handshakeTimeout)
		uc, err := c.open(ctx, scheme, hostport)
		cancel()
		c.mu.Lock()
		delete(c.warming, key)
		c.mu.Unlock()
		if err == nil {
			c.keep(key, uc)
			if c.onSpare != nil {
				c.onSpare()
			}
		}
	})
}

// exchange writes req on uc and reads the answer's head, skipping
// interim (1xx) answers. A cancelled request closes the connection.
func (c *client) exchange(uc *upConn, req *http.Request, key, scheme, hostport string) (*http.Response, error) {
	stop := context.AfterFunc(req.Context(), func() { uc.Close() })
	if err := req.Write(uc); err != nil {
		stop()
		return nil, ctxErr(req.Context(), err)
	}
	for interim := 0; ; interim++ {
		if interim > maxInterim {
			stop()
			uc.Close()
			return nil, fmt.Errorf("the server sent more than %d interim (1xx) answers", maxInterim)
		}
		uc.head.left = maxHeadBytes + int64(uc.br.Size())
		resp, err := http.ReadResponse(uc.br, req)
		uc.head.left = -1
		if err != nil {
			stop()
			return nil, ctxErr(req.Context(), err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			keep := !resp.Close && !req.Close && resp.StatusCode != http.StatusSwitchingProtocols
			resp.Body = &upBody{ReadCloser: resp.Body, eof: resp.Body == http.NoBody, done: func(eof bool) {
				if !stop() || !keep || !eof {
					uc.Close()
					if eof && resp.Close {
						c.warm(key, scheme, hostport)
					}
					return
				}
				c.keep(key, uc)
			}, conn: uc}
			return resp, nil
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// keep puts uc with the idle connections to key.
func (c *client) keep(key string, uc *upConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle[key]) >= maxIdlePerHost {
		uc.Close()
		return
	}
	uc.since = time.Now()
	c.idle[key] = append(c.idle[key], uc)
}

// closeIdle closes the kept connections and stops opening spares.
func (c *client) closeIdle() {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.warmers.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, l := range c.idle {
		for _, uc := range l {
			uc.Close()
		}
		delete(c.idle, k)
	}
}

// upBody is an answer's body. Read to its end, it keeps the connection
// (done); closed before, it closes the connection first, so that closing
// never waits for the rest of a body nobody wants.
type upBody struct {
	io.ReadCloser
	conn net.Conn
	done func(eof bool)
	eof  bool
	once sync.Once
}

func (b *upBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.eof = true
		b.once.Do(func() { b.done(true) }) // the connection is free now
	}
	return n, err
}

func (b *upBody) Close() error {
	if !b.eof {
		b.conn.Close()
	}
	err := b.ReadCloser.Close()
	b.once.Do(func() { b.done(b.eof) })
	return err
}
