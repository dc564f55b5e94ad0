package repo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/internal/httpget"
)

// sharedClient is the one HTTP client every repository uses unless
// Options.HTTPClient replaces it, so connections are pooled across them.
// It has no overall timeout (packages can be large); connect, TLS and
// header waits are bounded here and body stalls by the stall watchdog.
var sharedClient = sync.OnceValue(func() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Files are served as-is: a server that labels a .tar.gz with
		// Content-Encoding: gzip must not have it unwrapped.
		DisableCompression: true,
	}}
})

// fetcher downloads files with retries, a stall watchdog, conditional
// requests and progress reports.
type fetcher struct {
	client   *http.Client
	retries  int
	stall    time.Duration
	backoff  func(attempt int) time.Duration
	progress httpget.Progress
	log      *slog.Logger
}

func newFetcher(o Options) *fetcher {
	f := &fetcher{
		client:   o.HTTPClient,
		retries:  o.retries(),
		stall:    o.stallTimeout(),
		backoff:  o.backoff,
		progress: o.Progress,
		log:      o.logger(),
	}
	if f.client == nil {
		f.client = sharedClient()
	}
	if f.backoff == nil {
		f.backoff = defaultBackoff
	}
	return f
}

// defaultBackoff waits about 0.25 s, 0.5 s, 1 s … (at most 8 s), with
// jitter so that parallel downloads do not retry in lockstep.
func defaultBackoff(attempt int) time.Duration {
	d := 250 * time.Millisecond << min(attempt, 5)
	return d/2 + rand.N(d/2+1)
}

// request is one download: the URL and, for a conditional request, the
// validators of the cached copy.
type request struct {
	url          string
	etag         string
	lastModified string
	total        int64 // expected size for progress if the server sends none; 0 = unknown
	limit        int64 // largest body accepted; 0 = no limit
}

func (r request) conditional() bool { return r.etag != "" || r.lastModified != "" }

// response describes what get stored.
type response struct {
	notModified  bool
	etag         string
	lastModified string
	size         int64
}

// fetchError is a failed download; transient ones are retried.
type fetchError struct {
	err       error
	transient bool
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

// get downloads req.url into dst, which is emptied again before each
// retry. A 304 answer to a conditional request leaves dst empty and sets
// notModified.
func (f *fetcher) get(ctx context.Context, req request, dst *spool) (response, error) {
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := dst.reset(); err != nil {
				return response{}, err
			}
		}
		res, err := f.attempt(ctx, req, dst)
		if err == nil {
			return res, nil
		}
		last = err
		var fe *fetchError
		if !errors.As(err, &fe) || !fe.transient || attempt >= f.retries {
			break
		}
		wait := f.backoff(attempt)
		f.log.Debug("retrying download", "url", req.url, "attempt", attempt+1, "wait", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return response{}, fmt.Errorf("fetch %s: %w (after: %v)", req.url, ctx.Err(), last)
		case <-t.C:
		}
	}
	if ctx.Err() != nil {
		return response{}, fmt.Errorf("fetch %s: %w", req.url, ctx.Err())
	}
	var he *HTTPError
	if errors.As(last, &he) { // already names the URL
		if he.Retryable() && f.retries > 0 {
			return response{}, fmt.Errorf("%w (gave up after %d attempts)", last, f.retries+1)
		}
		return response{}, last
	}
	var fe *fetchError
	if errors.As(last, &fe) && fe.transient && f.retries > 0 {
		return response{}, fmt.Errorf("fetch %s: %w (gave up after %d attempts)", req.url, last, f.retries+1)
	}
	return response{}, fmt.Errorf("fetch %s: %w", req.url, last)
}

// attempt makes one request. Errors that a retry may cure come back as a
// transient *fetchError.
func (f *fetcher) attempt(ctx context.Context, req request, dst io.Writer) (response, error) {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(f.stall, func() { cancel(ErrStalled) })
	defer watchdog.Stop()

	hreq, err := http.NewRequestWithContext(actx, http.MethodGet, req.url, nil)
	if err != nil {
		return response{}, err
	}
	hreq.Header.Set("User-Agent", "pestle")
	if req.etag != "" {
		hreq.Header.Set("If-None-Match", req.etag)
	}
	if req.lastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.lastModified)
	}
	resp, err := f.client.Do(hreq)
	if err != nil {
		return response{}, f.netError(ctx, actx, err)
	}
	defer resp.Body.Close()
	res := response{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotModified && req.conditional():
		discardBody(resp.Body)
		res.notModified = true
		return res, nil
	default:
		discardBody(resp.Body)
		he := &HTTPError{URL: req.url, StatusCode: resp.StatusCode, Status: resp.Status, Hint: repoHint}
		return response{}, &fetchError{err: he, transient: he.Retryable()}
	}

	if req.limit > 0 && resp.ContentLength > req.limit {
		return response{}, fmt.Errorf("%d bytes is more than the %d a file of this kind may have", resp.ContentLength, req.limit)
	}
	total := resp.ContentLength
	if total < 0 && req.total > 0 {
		total = req.total
	}
	body := &httpget.IdleReader{R: resp.Body, Timer: watchdog, Idle: f.stall}
	buf := make([]byte, 64<<10)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return response{}, fmt.Errorf("cache: %w", werr)
			}
			res.size += int64(n)
			if req.limit > 0 && res.size > req.limit {
				return response{}, fmt.Errorf("the body is more than the %d bytes a file of this kind may have", req.limit)
			}
			if f.progress != nil {
				f.progress(req.url, res.size, total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return response{}, f.netError(ctx, actx, rerr)
		}
	}
	if resp.ContentLength >= 0 && res.size != resp.ContentLength {
		return response{}, &fetchError{transient: true,
			err: fmt.Errorf("truncated body: %d of %d bytes", res.size, resp.ContentLength)}
	}
	return res, nil
}

// netError classifies a transport or body error: the caller's own
// cancellation is final, a stall or network failure is transient.
func (f *fetcher) netError(ctx, actx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(context.Cause(actx), ErrStalled) {
		return &fetchError{err: fmt.Errorf("%w: no data for %v", ErrStalled, f.stall), transient: true}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("truncated body: %w", err)
	}
	return &fetchError{err: err, transient: !httpget.Permanent(err)}
}

// spool is the temporary file a download goes to, published at path by
// commit. It is created on the first byte, so that a 304 or an error costs
// no file.
type spool struct {
	path string
	f    *fsutil.File
}

func (s *spool) Write(p []byte) (int, error) {
	if s.f == nil {
		f, err := createTemp(s.path)
		if err != nil {
			return 0, err
		}
		s.f = f
	}
	return s.f.Write(p)
}

// reset empties the spool for another attempt.
func (s *spool) reset() error {
	if s.f == nil {
		return nil
	}
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	_, err := s.f.Seek(0, io.SeekStart)
	return err
}

// file returns the spooled download, rewound, creating it if the body
// was empty.
func (s *spool) file() (*fsutil.File, error) {
	if s.f == nil {
		if _, err := s.Write(nil); err != nil {
			return nil, err
		}
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		s.discard()
		return nil, err
	}
	return s.f, nil
}

// discard removes the spooled file, if any.
func (s *spool) discard() {
	if s.f != nil {
		s.f.Abort()
		s.f = nil
	}
}
