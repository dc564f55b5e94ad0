package source

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/internal/httpget"
)

// sums are the digests of an artifact, lowercase hex.
type sums struct{ SHA256, SHA512 string }

// hashSet digests everything written to it.
type hashSet struct {
	s256, s512 hash.Hash
	n          int64
}

func newHashSet() *hashSet { return &hashSet{s256: sha256.New(), s512: sha512.New()} }

func (h *hashSet) Write(p []byte) (int, error) {
	h.s256.Write(p)
	h.s512.Write(p)
	h.n += int64(len(p))
	return len(p), nil
}

func (h *hashSet) reset() { h.s256.Reset(); h.s512.Reset(); h.n = 0 }

func (h *hashSet) sums() sums {
	return sums{SHA256: hex.EncodeToString(h.s256.Sum(nil)), SHA512: hex.EncodeToString(h.s512.Sum(nil))}
}

// download writes the artifact of in.URI into f (new and empty) and
// returns its digests. Plain paths are relative to the workspace.
func download(ctx context.Context, in *FetchInput, workspace string, f *os.File, opts *Options) (sums, error) {
	u, err := url.Parse(in.URI)
	if err != nil {
		return sums{}, &InputError{Pipeline: "fetch", Input: "uri", Value: in.URI, Reason: err.Error()}
	}
	h := newHashSet()
	switch u.Scheme {
	case "http", "https":
		d := newHTTPFetcher(in, opts)
		defer d.close()
		if err := d.run(ctx, f, h); err != nil {
			return sums{}, err
		}
	case "file", "":
		p := in.URI
		if u.Scheme == "file" {
			if u.Host != "" && u.Host != "localhost" {
				return sums{}, &InputError{Pipeline: "fetch", Input: "uri", Value: in.URI, Reason: "a file:// URI must name a local absolute path (file:///...)"}
			}
			p = u.Path
		}
		src, err := opts.openLocal(p, workspace)
		if err != nil {
			return sums{}, fmt.Errorf("fetch %s: %w", in.URI, err)
		}
		defer src.Close()
		total := int64(-1)
		if fi, err := src.Stat(); err == nil {
			total = fi.Size()
		}
		_, rerr, werr := copyProgress(io.MultiWriter(f, h), src, in.URI, total, h, opts.Progress)
		if err := errors.Join(rerr, werr); err != nil {
			return sums{}, fmt.Errorf("fetch %s: %w", in.URI, err)
		}
	default:
		return sums{}, &InputError{Pipeline: "fetch", Input: "uri", Value: in.URI, Reason: "scheme " + u.Scheme + " is not supported (http, https, file)"}
	}
	return h.sums(), nil
}

// copyProgress copies src to dst, telling read errors from write errors
// (only the first are worth a retry) and reporting progress.
func copyProgress(dst io.Writer, src io.Reader, url string, total int64, h *hashSet, progress httpget.Progress) (n int64, readErr, writeErr error) {
	buf := make([]byte, 256<<10)
	for {
		nr, er := src.Read(buf)
		if nr > 0 {
			nw, ew := dst.Write(buf[:nr])
			n += int64(nw)
			if ew == nil && nw != nr {
				ew = io.ErrShortWrite
			}
			if ew != nil {
				return n, nil, ew
			}
			if progress != nil {
				progress(url, h.n, total)
			}
		}
		if er == io.EOF {
			return n, nil, nil
		}
		if er != nil {
			return n, er, nil
		}
	}
}

// errIdle cancels a request that received nothing for the timeout.
var errIdle = errors.New("idle timeout")

// httpFetcher downloads one URL with bounded retries, resuming a partial
// body with a Range request when the server allows it (wget --continue).
type httpFetcher struct {
	in       *FetchInput
	opts     *Options
	client   *http.Client
	close    func()
	attempts int
}

func newHTTPFetcher(in *FetchInput, opts *Options) *httpFetcher {
	d := &httpFetcher{in: in, opts: opts, client: opts.HTTPClient, close: func() {}, attempts: in.RetryLimit}
	if d.client == nil {
		tr := transport(in.Timeout, in.DNSTimeout)
		d.client = &http.Client{Transport: tr}
		d.close = tr.CloseIdleConnections
	}
	return d
}

// transport is pestle's HTTP transport: the proxy environment, a name
// lookup bounded by dnsTimeout and connections bounded by timeout.
func transport(timeout, dnsTimeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || net.ParseIP(host) != nil {
			return dialer.DialContext(ctx, network, addr)
		}
		lctx, cancel := context.WithTimeout(ctx, dnsTimeout)
		ips, err := net.DefaultResolver.LookupIPAddr(lctx, host)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("resolve %s (dns-timeout %s): %w", host, dnsTimeout, err)
		}
		var errs []error
		for _, ip := range ips {
			c, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dial,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
}

func (d *httpFetcher) run(ctx context.Context, f *os.File, h *hashSet) error {
	log := d.opts.logger()
	var err error
	for attempt := 1; ; attempt++ {
		var retry bool
		retry, err = d.try(ctx, f, h)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fetch %s: %w", d.in.URI, context.Cause(ctx))
		}
		if !retry {
			return err // asking again would not help
		}
		if attempt >= d.attempts {
			break
		}
		// wget --waitretry: 1 s, 2 s, ... up to 10 s, randomised.
		wait := time.Duration(min(attempt, 10)) * time.Second
		wait = wait/2 + rand.N(wait)
		log.Warn("fetch: retrying", "uri", d.in.URI, "attempt", attempt+1, "of", d.attempts, "after", wait, "error", err)
		if werr := d.opts.wait(ctx, wait); werr != nil {
			return fmt.Errorf("fetch %s: %w", d.in.URI, werr)
		}
	}
	return fmt.Errorf("%w (after %d attempts; retry-limit is %d)", err, d.attempts, d.attempts)
}

// try makes one request, appending to what earlier attempts received.
func (d *httpFetcher) try(ctx context.Context, f *os.File, h *hashSet) (retry bool, err error) {
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	req, err := http.NewRequestWithContext(rctx, http.MethodGet, d.in.URI, nil)
	if err != nil {
		return false, &InputError{Pipeline: "fetch", Input: "uri", Value: d.in.URI, Reason: err.Error()}
	}
	req.Header.Set("User-Agent", "pestle")
	offset := h.n
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return !httpget.Permanent(err), d.cause(rctx, err)
	}
	defer resp.Body.Close()
	// From here on the request is cancelled when no data comes for the
	// timeout (wget -T: a read timeout, not a limit on the whole transfer).
	idle := time.AfterFunc(d.in.Timeout, func() { cancel(errIdle) })
	defer idle.Stop()
	switch {
	case resp.StatusCode == http.StatusOK:
		if offset > 0 {
			if err := restart(f, h); err != nil {
				return false, err
			}
		}
	case resp.StatusCode == http.StatusPartialContent && offset > 0 && rangeStart(resp) == offset:
	case offset > 0 && (resp.StatusCode == http.StatusPartialContent || resp.StatusCode == http.StatusRequestedRangeNotSatisfiable):
		if err := restart(f, h); err != nil {
			return false, err
		}
		return true, fmt.Errorf("fetch %s: server answered the resume request with %s", d.in.URI, resp.Status)
	default:
		he := &HTTPError{URL: d.in.URI, StatusCode: resp.StatusCode, Status: resp.Status, Hint: sourceHint}
		return he.Retryable(), he
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = h.n + resp.ContentLength
	}
	body := &httpget.IdleReader{R: resp.Body, Timer: idle, Idle: d.in.Timeout}
	n, rerr, werr := copyProgress(io.MultiWriter(f, h), body, d.in.URI, total, h, d.opts.Progress)
	if werr != nil {
		return false, fmt.Errorf("fetch %s: write: %w", d.in.URI, werr)
	}
	if rerr != nil {
		return true, d.cause(rctx, rerr)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return true, fmt.Errorf("fetch %s: body ended after %d of %d bytes", d.in.URI, n, resp.ContentLength)
	}
	return false, nil
}

// cause names the idle timeout instead of a bare "context canceled".
func (d *httpFetcher) cause(rctx context.Context, err error) error {
	if errors.Is(context.Cause(rctx), errIdle) {
		return fmt.Errorf("fetch %s: no data for %s (raise the timeout input for slow servers)", d.in.URI, d.in.Timeout)
	}
	return fmt.Errorf("fetch %s: %w", d.in.URI, err)
}

// restart drops a partial download.
func restart(f *os.File, h *hashSet) error {
	h.reset()
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// rangeStart is the first byte of a 206 answer ("bytes 100-199/200"), or
// -1.
func rangeStart(resp *http.Response) int64 {
	cr := strings.TrimPrefix(resp.Header.Get("Content-Range"), "bytes ")
	first, _, ok := strings.Cut(cr, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}
