package httpget

import (
	"errors"
	"testing"
)

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
