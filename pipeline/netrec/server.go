package netrec

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// server answers the steps' HTTP/1.1 requests, one at a time per
// connection and each in its connection's goroutine. It replaces
// http.Server, which for every request starts a background read to watch
// for the client hanging up and hands the connection between goroutines
// several times; a proxy answering hundreds of short-lived connections
// from tools such as wget pays more for that than for the bytes. A step
// that hangs up is seen when writing to it fails.
type server struct {
	handler     func(w http.ResponseWriter, r *http.Request)
	connContext func(ctx context.Context, c net.Conn) context.Context
	log         *slog.Logger
	// maxConns, when not 0, bounds the connections open at once
	// (hijacked ones included, until they close): past it, serve accepts
	// no more until one closes.
	maxConns int

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	closed    bool
	done      chan struct{} // closed by close
	slots     chan struct{} // one per connection open, of maxConns
	warned    bool          // the bound was reached once
}

const (
	// headTimeout bounds the wait for a request's head, idle time
	// included, as http.Server's ReadHeaderTimeout did.
	headTimeout = time.Minute
	// maxHeadBytes bounds a request's head, as http.DefaultMaxHeaderBytes.
	maxHeadBytes = 1 << 20
	// preCommit is how much of a body is held before the head is sent,
	// so that a short answer goes out with its Content-Length.
	preCommit = 4 << 10
	// maxDrain is how much of an unread request body is skipped to keep
	// the connection; past it the connection is closed.
	maxDrain = 256 << 10
)

// serve accepts the connections of l until close.
func (s *server) serve(l net.Listener) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	backoff := time.Duration(0)
	for {
		c, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return
		}
		backoff = 0
		if c, err = s.take(c); err != nil {
			return
		}
		if !s.track(c, true) {
			c.Close()
			return
		}
		go s.serveConn(c)
	}
}

// track adds or removes c from the connections close ends; adding fails
// once the server is closed.
func (s *server) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

// close stops accepting and closes every connection being served.
func (s *server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed && s.done != nil {
		close(s.done)
	}
	s.closed = true
	var errs []error
	for _, l := range s.listeners {
		if err := l.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.Close()
	}
	clear(s.conns)
	return errors.Join(errs...)
}

// headLimit is the connection's reader, which ends a request's head at
// maxHeadBytes; the body is read past it.
type headLimit struct {
	c        net.Conn
	left     int64 // < 0: no limit
	tooLarge error // the error past the limit; nil: errHeadTooLarge
}

func (h *headLimit) Read(p []byte) (int, error) {
	if h.left == 0 {
		if h.tooLarge != nil {
			return 0, h.tooLarge
		}
		return 0, errHeadTooLarge
	}
	if h.left > 0 && int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.c.Read(p)
	if h.left > 0 {
		h.left -= int64(n)
	}
	return n, err
}

var errHeadTooLarge = errors.New("request head too large")

// serveConn answers the requests on c until it closes, asks to close, or
// a request cannot be answered on it.
func (s *server) serveConn(c net.Conn) {
	hijacked := false
	defer func() {
		if !hijacked {
			c.Close()
			s.track(c, false)
		}
	}()
	ctx := context.Background()
	if s.connContext != nil {
		ctx = s.connContext(ctx, c)
	}
	lr := &headLimit{c: c}
	br := bufio.NewReaderSize(lr, 4<<10)
	bw := bufio.NewWriterSize(c, 4<<10)
	for {
		lr.left = maxHeadBytes + int64(br.Size())
		_ = c.SetReadDeadline(time.Now().Add(headTimeout))
		req, err := http.ReadRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
				status := "400 Bad Request"
				if errors.Is(err, errHeadTooLarge) {
					status = "431 Request Header Fields Too Large"
				}
				fmt.Fprintf(bw, "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n%s", status, status)
				bw.Flush()
			}
			return
		}
		lr.left = -1
		_ = c.SetReadDeadline(time.Time{})
		req.RemoteAddr = c.RemoteAddr().String()
		rctx, cancel := context.WithCancel(ctx)
		req = req.WithContext(rctx)
		w := &response{conn: c, br: br, bw: bw, req: req, header: http.Header{}, contentLength: -1}
		if req.Header.Get("Expect") == "100-continue" && req.ProtoAtLeast(1, 1) {
			req.Body = &expectContinue{ReadCloser: req.Body, w: bw}
		}
		ok := s.run(w, req)
		cancel()
		if w.hijacked {
			hijacked = true
			s.track(c, false)
			return
		}
		if !ok || !w.finish() || w.closeAfter || req.Close {
			return
		}
		if n, _ := io.CopyN(io.Discard, req.Body, maxDrain+1); n > maxDrain {
			return
		}
		if req.Body.Close() != nil {
			return
		}
	}
}

// run calls the handler; a panic (http.ErrAbortHandler among them) ends
// the connection.
func (s *server) run(w *response, r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
			if v != http.ErrAbortHandler && s.log != nil {
				s.log.Error("the network proxy failed on a request", "url", r.URL.String(), "panic", fmt.Sprint(v))
			}
		}
	}()
	s.handler(w, r)
	return true
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// expectContinue tells the client to send its body when the handler
// first reads it.
type expectContinue struct {
	io.ReadCloser
	w    *bufio.Writer
	sent bool
}

func (e *expectContinue) Read(p []byte) (int, error) {
	if !e.sent {
		e.sent = true
		e.w.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := e.w.Flush(); err != nil {
			return 0, err
		}
	}
	return e.ReadCloser.Read(p)
}

// response is the http.ResponseWriter of server. The head goes out when
// the body passes preCommit bytes, on Flush, or at the end, when a body
// without a declared length is given one if it was all held, and is sent
// chunked otherwise (or delimited by closing, to an HTTP/1.0 client).
type response struct {
	conn   net.Conn
	br     *bufio.Reader
	bw     *bufio.Writer
	req    *http.Request
	header http.Header

	status        int
	wroteHeader   bool
	committed     bool
	held          []byte
	noBody        bool
	chunked       bool
	closeAfter    bool
	contentLength int64 // declared, or -1
	written       int64
	err           error // writing to the client failed
	hijacked      bool
}

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code < 200 || code > 999 {
		// Informational answers are not relayed; 1xx is not a final
		// status.
		if code >= 100 && code < 200 {
			return
		}
		panic(fmt.Sprintf("netrec: invalid status %d", code))
	}
	w.wroteHeader = true
	w.status = code
	if cl := w.header.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(cl, 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		} else {
			w.header.Del("Content-Length")
		}
	}
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified
}

func (w *response) Write(p []byte) (int, error) {
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.noBody {
		return 0, http.ErrBodyNotAllowed
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	if w.err != nil {
		return 0, w.err
	}
	w.written += int64(len(p))
	if !w.committed {
		if len(w.held)+len(p) <= preCommit {
			w.held = append(w.held, p...)
			return len(p), nil
		}
		if err := w.commit(false); err != nil {
			return 0, err
		}
	}
	if err := w.writeBody(p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// commit sends the head and what was held; final says the handler is
// done, so a held body is the whole body.
func (w *response) commit(final bool) error {
	w.committed = true
	h := w.header
	switch {
	case w.noBody:
	case w.contentLength >= 0:
	case final:
		w.contentLength = int64(len(w.held))
		h.Set("Content-Length", strconv.Itoa(len(w.held)))
	case w.req.ProtoAtLeast(1, 1):
		w.chunked = true
		h.Set("Transfer-Encoding", "chunked")
	default:
		w.closeAfter = true
	}
	if w.req.Close || w.closeAfter || hasToken(h.Get("Connection"), "close") {
		w.closeAfter = true
		h.Set("Connection", "close")
	}
	if _, ok := h["Date"]; !ok {
		h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	}
	fmt.Fprintf(w.bw, "HTTP/1.1 %03d %s\r\n", w.status, http.StatusText(w.status))
	if err := h.Write(w.bw); err != nil {
		return w.fail(err)
	}
	w.bw.WriteString("\r\n")
	held := w.held
	w.held = nil
	if len(held) > 0 {
		return w.writeBody(held)
	}
	return nil
}

func (w *response) writeBody(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if w.chunked {
		fmt.Fprintf(w.bw, "%x\r\n", len(p))
	}
	if _, err := w.bw.Write(p); err != nil {
		return w.fail(err)
	}
	if w.chunked {
		if _, err := w.bw.WriteString("\r\n"); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

func (w *response) fail(err error) error {
	if w.err == nil {
		w.err = err
		w.closeAfter = true
	}
	return w.err
}

// Flush sends the head and everything written so far.
func (w *response) Flush() {
	_ = w.FlushError()
}

// FlushError is Flush, with its error.
func (w *response) FlushError() error {
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if err := w.commit(false); err != nil {
			return err
		}
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	return w.err
}

// finish ends the answer; false means the connection cannot carry another.
func (w *response) finish() bool {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !w.committed {
		if w.commit(true) != nil {
			return false
		}
	}
	if w.chunked {
		w.bw.WriteString("0\r\n\r\n")
	}
	if err := w.bw.Flush(); err != nil {
		w.fail(err)
	}
	if w.contentLength >= 0 && w.written < w.contentLength && !w.noBody {
		return false // the client waits for bytes that will not come
	}
	return w.err == nil
}

// Hijack hands the connection to the handler, with what was read of it.
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.committed {
		return nil, nil, errors.New("netrec: hijack after the answer began")
	}
	w.hijacked = true
	return w.conn, bufio.NewReadWriter(w.br, w.bw), nil
}

// hasToken reports whether the comma-separated list v holds token,
// ignoring case.
func hasToken(v, token string) bool {
	for v != "" {
		var t string
		t, v, _ = strings.Cut(v, ",")
		if strings.EqualFold(strings.TrimSpace(t), token) {
			return true
		}
	}
	return false
}
