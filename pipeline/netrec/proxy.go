package netrec

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxStepConns bounds the connections the steps hold open to the proxy
// at once. Each costs the host process buffers, a goroutine and maybe a
// TLS session and an upstream connection (about 100 KiB at worst); the
// bound keeps a step that opens connections without end from making
// pestle run out of memory, as the step's own memory limit (--memory)
// does not cover pestle. Real tools stay far below it (npm keeps 15 a
// host by default); one that reaches it waits for a connection to close,
// and the log says why.
const maxStepConns = 1024

// Upstream is how the proxy reaches servers.
type Upstream struct {
	// Dial opens connections to servers; nil means the host's network.
	// Without Lookup it also resolves (the proxy then checks only IP
	// literals against its refused ranges); with Lookup it gets an
	// address Lookup returned and the proxy checked. Tests point host
	// names at local servers with them.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Lookup resolves a host name; nil means the host's resolver.
	Lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// RootCAs are the authorities upstream TLS is checked against; nil
	// means the host's trust store.
	RootCAs *x509.CertPool
}

// Config configures a Proxy.
type Config struct {
	// Mode is Record or Replay.
	Mode Mode
	// Allow limits the hosts reached; empty allows every host.
	Allow Allow
	// Lock is what Replay serves, LockPath where it was read (for
	// messages). A nil Lock in Replay serves nothing.
	Lock     *Lock
	LockPath string
	// CacheDir keeps response bodies by sha256; empty keeps none (and
	// Replay then fetches every body again, verifying it).
	CacheDir string
	// Upstream replaces how servers are reached; nil uses the host's
	// resolver, network and trust store.
	Upstream *Upstream
	// Local connects to the steps' own loopback (the sandbox's network
	// namespace). Requests for the hosts NO_PROXY names (localhost,
	// 127.0.0.1, ::1) from tools that ignore NO_PROXY go there, unrecorded
	// and never upstream; nil refuses them.
	Local func(ctx context.Context, network, addr string) (net.Conn, error)
	// Logger gets one debug line per exchange; nil discards.
	Logger *slog.Logger

	onConnect func(address string) // for tests: see guard.onConnect
}

// Refusal is a request the proxy did not serve, and why.
type Refusal struct {
	Host    string // host:port asked for
	URL     string // "" for a refused tunnel
	Message string // what the step was told
}

// Proxy is a recording HTTP(S) proxy for one build.
type Proxy struct {
	cfg     Config
	ca      *authority
	up      *client         // upstream
	local   *http.Transport // to the steps' loopback
	store   store
	replay  map[string]Entry
	outer   *server // the steps' connections
	inner   *server // the requests inside their CONNECT tunnels
	tunnels *tunnelQueue
	guard   *guard
	log     *slog.Logger

	pending sync.WaitGroup // bodies recorded and not yet in the cache

	mu       sync.Mutex
	entries  []Entry
	requests int
	bytes    int64
	hosts    map[string]bool
	refusals []Refusal
	bodies   map[string]string // method and URL of a download → its first body's sha256 ("" once told)
}

// New makes a proxy and its certificate authority. Serve starts it.
func New(cfg Config) (*Proxy, error) {
	if cfg.Mode != Record && cfg.Mode != Replay {
		return nil, fmt.Errorf("netrec: the proxy serves modes record and replay, not %q", cfg.Mode)
	}
	ca, err := newAuthority(time.Now())
	if err != nil {
		return nil, fmt.Errorf("netrec: making the build's certificate authority: %w", err)
	}
	p := &Proxy{cfg: cfg, ca: ca, store: store{dir: cfg.CacheDir}, hosts: map[string]bool{},
		tunnels: &tunnelQueue{ch: make(chan net.Conn), done: make(chan struct{})}, log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	up := cfg.Upstream
	if up == nil {
		up = &Upstream{}
	}
	p.guard = &guard{allow: cfg.Allow, lookup: up.Lookup, connect: up.Dial, onConnect: cfg.onConnect}
	if up.Lookup != nil && up.Dial == nil {
		p.guard.connect = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	p.up = newClient(p.guard.dial, &tls.Config{RootCAs: up.RootCAs})
	p.local = &http.Transport{DialContext: cfg.Local, DisableCompression: true, IdleConnTimeout: 10 * time.Second}
	if cfg.Mode == Replay {
		p.replay = map[string]Entry{}
		if cfg.Lock != nil {
			for _, e := range cfg.Lock.Requests {
				if _, dup := p.replay[e.Method+" "+e.URL]; !dup {
					p.replay[e.Method+" "+e.URL] = e
				}
			}
		}
	}
	p.outer = &server{handler: p.serveProxy, log: p.log, maxConns: maxStepConns}
	p.inner = &server{handler: p.serveTunnel, log: p.log,
		connContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, targetKey{}, c.(*tunnelConn).target)
		}}
	return p, nil
}

// CACert is the PEM certificate of the build's authority, for the guest.
func (p *Proxy) CACert() []byte { return p.ca.PEM() }

// Serve answers the connections of l until Close.
func (p *Proxy) Serve(l net.Listener) {
	go p.outer.serve(l)
	go p.inner.serve(p.tunnels)
}

// Close stops the proxy and closes every connection. The cache holds
// every body recorded once it returns.
func (p *Proxy) Close() error {
	err := p.outer.close()
	p.tunnels.close()
	err = errors.Join(err, p.inner.close())
	p.up.closeIdle()
	p.pending.Wait()
	p.local.CloseIdleConnections()
	return err
}

// Entries are the exchanges so far, sorted, without duplicates.
func (p *Proxy) Entries() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return sortEntries(p.entries)
}

// Refusals are the requests refused so far, in order.
func (p *Proxy) Refusals() []Refusal {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Refusal(nil), p.refusals...)
}

// Traffic counts what the proxy has carried so far.
type Traffic struct {
	Requests int   // exchanges recorded (served, fetched or replayed)
	Hosts    int   // distinct host:port reached
	Bytes    int64 // response bodies
	Refused  int   // requests refused
}

// Traffic is the count of the traffic so far.
func (p *Proxy) Traffic() Traffic {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Traffic{Requests: p.requests, Hosts: len(p.hosts), Bytes: p.bytes, Refused: len(p.refusals)}
}

// Used reports whether any request reached the proxy.
func (t Traffic) Used() bool { return t.Requests > 0 || t.Refused > 0 }

// String is one line about t, e.g. "network: 37 requests to 3 hosts,
// 12.4 MiB".
func (t Traffic) String() string {
	s := fmt.Sprintf("network: %d request%s to %d host%s, %s", t.Requests, plural(t.Requests), t.Hosts, plural(t.Hosts), HumanBytes(t.Bytes))
	if t.Refused > 0 {
		s += fmt.Sprintf(", %d refused", t.Refused)
	}
	return s
}

// LogAttrs are t as log attributes.
func (t Traffic) LogAttrs() []any {
	a := []any{"requests", t.Requests, "hosts", t.Hosts, "received", HumanBytes(t.Bytes)}
	if t.Refused > 0 {
		a = append(a, "refused", t.Refused)
	}
	return a
}

// Summary is Traffic().String().
func (p *Proxy) Summary() string { return p.Traffic().String() }

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// HumanBytes renders n as B, KiB or MiB with one decimal.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// serveProxy answers what steps send to the proxy: CONNECT, or a
// request for an absolute http URL.
func (p *Proxy) serveProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.connect(w, r)
		return
	}
	if !r.URL.IsAbs() || r.URL.Host == "" || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
		http.Error(w, "pestle: this is the build's network proxy; send it proxy requests (an absolute http URL, or CONNECT)", http.StatusBadRequest)
		return
	}
	p.exchange(w, r, r.URL.Scheme, r.URL.Host)
}

// serveTunnel answers the requests that came through a CONNECT tunnel.
func (p *Proxy) serveTunnel(w http.ResponseWriter, r *http.Request) {
	p.exchange(w, r, "https", r.Context().Value(targetKey{}).(string))
}

// connect opens a tunnel, refusing hosts outside the allow-list, and
// hands its TLS side to the inner server.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	target := withPort(r.Host, "https")
	if isLocal(target) {
		p.tunnelLocal(w, target)
		return
	}
	if !p.cfg.Allow.Allows(target) {
		p.refuse(w, http.StatusForbidden, Refusal{Host: target, Message: p.notAllowed(target)})
		return
	}
	host, port, _ := net.SplitHostPort(target)
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := p.guard.check(host, port, ip); err != nil {
			p.refuseUpstream(w, err, Refusal{Host: target})
			return
		}
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "pestle: cannot open a tunnel", http.StatusInternalServerError)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		conn.Close()
		return
	}
	tc := tls.Server(&bufferedConn{Conn: conn, r: brw.Reader}, &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return p.ca.leaf(host) },
		NextProtos:     []string{"http/1.1"},
		MinVersion:     tls.VersionTLS12,
	})
	if !p.tunnels.put(&tunnelConn{Conn: tc, target: target}) {
		conn.Close()
	}
}

// exchange serves one request for scheme://hostport.
func (p *Proxy) exchange(w http.ResponseWriter, r *http.Request, scheme, hostport string) {
	hostport = withPort(hostport, scheme)
	u := canonicalURL(scheme, hostport, r.URL.RequestURI())
	if isLocal(hostport) {
		p.forwardLocal(w, r, u)
		return
	}
	if !p.cfg.Allow.Allows(hostport) {
		p.refuse(w, http.StatusForbidden, Refusal{Host: hostport, URL: u, Message: p.notAllowed(hostport)})
		return
	}
	if p.cfg.Mode == Replay {
		p.replayOne(w, r, u, hostport)
		return
	}
	p.recordOne(w, r, u, hostport)
}

func (p *Proxy) notAllowed(hostport string) string {
	host, _, _ := net.SplitHostPort(hostport)
	allow := strings.Join(p.cfg.Allow, ",")
	return fmt.Sprintf("host %s is not allowed by --network-allow=%s; to allow it: --network-allow=%s,%s", host, allow, allow, host)
}

// refuse answers with status and the refusal's message, and keeps it.
func (p *Proxy) refuse(w http.ResponseWriter, status int, rf Refusal) {
	p.mu.Lock()
	p.refusals = append(p.refusals, rf)
	p.mu.Unlock()
	p.log.Warn("network request refused", "host", rf.Host, "url", rf.URL, "why", rf.Message)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	io.WriteString(w, "pestle: "+rf.Message+"\n")
}

// note records a finished exchange.
func (p *Proxy) note(e Entry, hostport string) {
	p.mu.Lock()
	p.entries = append(p.entries, e)
	p.requests++
	p.bytes += e.Size
	p.hosts[hostport] = true
	changed := p.changedBody(e)
	p.mu.Unlock()
	p.log.Debug("network", "method", e.Method, "url", e.URL, "status", e.Status, "bytes", e.Size, "sha256", e.SHA256)
	if changed {
		p.log.Warn("a URL sent different bodies during the build: replay serves only one of them (the lock's first), so a replayed build may differ; pin the URL to a version if the recipe can",
			"url", e.URL)
	}
}

// changedBody reports, once per URL, whether download e differs from
// the first download of its URL. p.mu is held.
func (p *Proxy) changedBody(e Entry) bool {
	if !e.Download() {
		return false
	}
	key := e.Method + " " + e.URL
	first, ok := p.bodies[key]
	switch {
	case !ok:
		if p.bodies == nil {
			p.bodies = map[string]string{}
		}
		p.bodies[key] = e.SHA256
	case first != "" && first != e.SHA256:
		p.bodies[key] = ""
		return true
	}
	return false
}

// recordOne forwards the request, streams the answer to the step while
// hashing it into the cache, and records it: before the step has the
// answer's last bytes, so that the record of a step is complete when the
// step ends. The cache is written after.
func (p *Proxy) recordOne(w http.ResponseWriter, r *http.Request, u, hostport string) {
	resp, err := p.roundTrip(r, u)
	if err != nil {
		p.refuseUpstream(w, err, Refusal{Host: hostport, URL: u, Message: fmt.Sprintf("%s %s: %v", r.Method, u, err)})
		return
	}
	defer resp.Body.Close()
	sp := p.store.create()
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	e := Entry{Method: r.Method, URL: u, Status: resp.StatusCode,
		ContentType: resp.Header.Get("Content-Type"), Location: resp.Header.Get("Location")}
	noted := false
	err = relay(w, sp, resp.Body, resp.ContentLength, func() {
		e.Size, e.SHA256 = sp.size, sp.sum()
		p.pending.Add(1)
		p.note(e, hostport)
		noted = true
	})
	if noted {
		defer p.pending.Done()
	}
	if err != nil {
		sp.discard()
		panic(http.ErrAbortHandler) // the step sees a cut answer
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if err := sp.commit(p.store); err != nil {
		p.log.Warn("could not cache a download", "url", u, "err", err)
	}
}

// replayOne serves the recorded answer for the request, from the cache
// or, when the cache lacks it, from upstream; the body must have the
// recorded checksum either way.
func (p *Proxy) replayOne(w http.ResponseWriter, r *http.Request, u, hostport string) {
	e, ok := p.replay[r.Method+" "+u]
	if !ok {
		lock := p.cfg.LockPath
		if lock == "" {
			lock = "(none)"
		}
		p.refuse(w, http.StatusForbidden, Refusal{Host: hostport, URL: u, Message: fmt.Sprintf(
			"%s %s is not in the network lock %s: --network=replay serves only what was recorded; run with --network=record to record it", r.Method, u, lock)})
		return
	}
	f, err := p.store.open(e.SHA256, e.Size)
	if errors.Is(err, fs.ErrNotExist) {
		err = p.fetchVerified(r, u, e)
		if err == nil {
			f, err = p.store.open(e.SHA256, e.Size)
		}
	}
	if err != nil {
		p.refuseUpstream(w, err, Refusal{Host: hostport, URL: u, Message: fmt.Sprintf("%s %s: %v", r.Method, u, err)})
		return
	}
	defer f.Close()
	h := w.Header()
	if e.ContentType != "" {
		h.Set("Content-Type", e.ContentType)
	}
	if e.Location != "" {
		h.Set("Location", e.Location)
	}
	h.Set("Content-Length", strconv.FormatInt(e.Size, 10))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		if _, err := io.Copy(w, io.LimitReader(f, e.Size)); err != nil {
			panic(http.ErrAbortHandler)
		}
	}
	p.note(e, hostport)
}

// fetchVerified downloads the body of e into the cache, refusing one
// whose status, size or checksum differ from the record.
func (p *Proxy) fetchVerified(r *http.Request, u string, e Entry) error {
	resp, err := p.roundTrip(r, u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sp := p.store.create()
	if _, err := io.Copy(sp, io.LimitReader(resp.Body, e.Size+1)); err != nil {
		sp.discard()
		return err
	}
	if sum := sp.sum(); sum != e.SHA256 || sp.size != e.Size || resp.StatusCode != e.Status {
		sp.discard()
		return fmt.Errorf("%w: the lock %s records status %d, sha256 %s (%d bytes); the server sent status %d, sha256 %s (%d bytes)",
			ErrChecksum, p.cfg.LockPath, e.Status, e.SHA256, e.Size, resp.StatusCode, sum, sp.size)
	}
	if p.store.dir == "" {
		return fmt.Errorf("no cache to serve %s from", u)
	}
	return sp.commit(p.store)
}
