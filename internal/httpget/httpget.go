// Package httpget holds what pestle's two HTTP downloaders share (the
// repository fetcher of apk/repo and the fetch step of pipeline/source):
// one error type for an unwanted status, one rule for which statuses and
// which connection errors are worth a retry, one progress hook, and the reader that keeps a stall
// timer from firing while data comes. It imports only the standard
// library, so that apk may use it (see the import rules in cmd/pestle).
package httpget

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Progress is told, as a download advances, the URL, the bytes received
// so far and the expected total (-1 when unknown).
type Progress func(url string, done, total int64)

// ErrNotFound matches an *HTTPError whose status says the file is not
// there (404, 410).
var ErrNotFound = errors.New("not found")

// HTTPError is a download answered with a status other than the one
// wanted.
type HTTPError struct {
	URL        string
	StatusCode int
	Status     string
	// Hint, when set, says what to check; it is shown for 404 and 410.
	Hint string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("GET %s: %s", e.URL, e.Status)
	if e.Hint != "" && e.notFound() {
		msg += ": " + e.Hint
	}
	return msg
}

func (e *HTTPError) notFound() bool {
	return e.StatusCode == http.StatusNotFound || e.StatusCode == http.StatusGone
}

// Is reports whether target is ErrNotFound and the status says so.
func (e *HTTPError) Is(target error) bool {
	return target == ErrNotFound && e.notFound()
}

// Retryable reports whether asking again may help: request timeouts,
// rate limits and server errors, but not 501 or 505, which will not
// change.
func (e *HTTPError) Retryable() bool {
	switch {
	case e.StatusCode == http.StatusRequestTimeout, e.StatusCode == http.StatusTooManyRequests:
		return true
	case e.StatusCode == http.StatusNotImplemented, e.StatusCode == http.StatusHTTPVersionNotSupported:
		return false
	}
	return e.StatusCode >= 500 && e.StatusCode <= 599
}

// Permanent reports whether a request's error will not change in a
// second, so that asking again is no use: a host that does not exist
// (not a DNS timeout or a temporary failure) or a certificate that does
// not verify. wget gives up on both at once too.
func Permanent(err error) bool {
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	return errors.As(err, &certErr) || errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// IdleReader reads R and pushes Timer back by Idle on every read that
// returns data, so that a timer armed to cancel a stalled download fires
// only after Idle without data (a read timeout, not a limit on the whole
// transfer).
type IdleReader struct {
	R     io.Reader
	Timer *time.Timer
	Idle  time.Duration
}

func (r *IdleReader) Read(p []byte) (int, error) {
	n, err := r.R.Read(p)
	if n > 0 {
		r.Timer.Reset(r.Idle)
	}
	return n, err
}
