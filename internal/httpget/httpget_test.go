package httpget

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"testing"
	"time"
)

func TestPermanent(t *testing.T) {
	wrap := func(err error) error {
		return fmt.Errorf("fetch: %w", &url.Error{Op: "Get", URL: "https://h/x", Err: err})
	}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"no such host", wrap(&net.DNSError{Err: "no such host", IsNotFound: true}), true},
		{"DNS timeout", wrap(&net.DNSError{Err: "i/o timeout", IsTimeout: true}), false},
		{"temporary DNS failure", wrap(&net.DNSError{Err: "server misbehaving", IsTemporary: true}), false},
		{"bad certificate", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), true},
		{"connection refused", wrap(&net.OpError{Op: "dial", Err: errors.New("connection refused")}), false},
		{"unexpected EOF", wrap(io.ErrUnexpectedEOF), false},
	} {
		if got := Permanent(c.err); got != c.want {
			t.Errorf("%s: Permanent = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestHTTPError(t *testing.T) {
	for _, c := range []struct {
		code      int
		retry     bool
		notFound  bool
		withHint  bool
		statusTxt string
	}{
		{404, false, true, true, "404 Not Found"},
		{410, false, true, true, "410 Gone"},
		{403, false, false, false, "403 Forbidden"},
		{408, true, false, false, "408 Request Timeout"},
		{429, true, false, false, "429 Too Many Requests"},
		{500, true, false, false, "500 Internal Server Error"},
		{503, true, false, false, "503 Service Unavailable"},
		{501, false, false, false, "501 Not Implemented"},
		{505, false, false, false, "505 HTTP Version Not Supported"},
	} {
		e := &HTTPError{URL: "https://h/x.apk", StatusCode: c.code, Status: c.statusTxt, Hint: "check the URL"}
		if e.Retryable() != c.retry {
			t.Errorf("%d: Retryable = %v", c.code, !c.retry)
		}
		if errors.Is(e, ErrNotFound) != c.notFound {
			t.Errorf("%d: errors.Is(ErrNotFound) = %v", c.code, !c.notFound)
		}
		want := "GET https://h/x.apk: " + c.statusTxt
		if c.withHint {
			want += ": check the URL"
		}
		if e.Error() != want {
			t.Errorf("%d: %q, want %q", c.code, e.Error(), want)
		}
	}
}

// TestIdleReader: every read with data re-arms the timer; an empty read
// does not.
func TestIdleReader(t *testing.T) {
	fired := make(chan struct{}, 1)
	timer := time.AfterFunc(time.Hour, func() { fired <- struct{}{} })
	defer timer.Stop()
	pr, pw := io.Pipe()
	r := &IdleReader{R: pr, Timer: timer, Idle: time.Hour}
	go func() {
		pw.Write([]byte("x"))
		pw.Close()
	}()
	buf := make([]byte, 4)
	if n, err := r.Read(buf); n != 1 || err != nil {
		t.Fatalf("read %d, %v", n, err)
	}
	// Re-armed for an hour: stopping it reports it was still pending.
	if !timer.Stop() {
		t.Error("the timer was not pending after a read with data")
	}
	if n, err := r.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("read %d, %v at the end", n, err)
	}
	if timer.Stop() {
		t.Error("a read without data re-armed the timer")
	}
	select {
	case <-fired:
		t.Error("the timer fired")
	default:
	}
}
