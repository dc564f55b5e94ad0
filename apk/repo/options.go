package repo

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/internal/httpget"
	"github.com/pestle-dev/pestle/keys"
)

// Options configures repositories and remote keyring entries. The zero
// value is usable: the host's architecture, the default cache directory,
// the shared HTTP client, no progress reports and a silent logger.
type Options struct {
	// CacheDir holds downloaded indexes, packages and keys. Empty means
	// os.UserCacheDir()/pestle (the CLI's --cache-dir overrides it).
	CacheDir string
	// Keyring holds the keys an index signature must verify with.
	Keyring *keys.Keyring
	// AllowUntrusted accepts an index that is unsigned or signed by a key
	// outside the keyring. Packages are still checked against the index.
	AllowUntrusted bool
	// HTTPClient replaces the shared client (one with connect, TLS and
	// response-header timeouts) for http(s) repositories and keys.
	HTTPClient *http.Client
	// Progress, when set, is called while a file downloads with the URL,
	// the bytes received so far and the expected total (-1 if unknown).
	// Concurrent Fetch calls may call it from several goroutines.
	Progress httpget.Progress
	// Logger receives debug and warning records; nil discards them.
	Logger *slog.Logger
	// Arch is the repository architecture directory, e.g. "x86_64".
	// Empty means the host's; "amd64" and "arm64" are accepted as aliases.
	Arch string
	// Retries is how many times a request is retried after a 5xx answer,
	// 408, 429 or a network error, with exponential backoff. 0 means
	// DefaultRetries; a negative value disables retries.
	Retries int
	// StallTimeout aborts (and retries) a request that receives no bytes
	// for this long. 0 means DefaultStallTimeout.
	StallTimeout time.Duration

	// backoff replaces the retry delay; tests set it to avoid waiting.
	backoff func(attempt int) time.Duration
}

// DefaultRetries is the number of retries when Options.Retries is 0.
const DefaultRetries = 3

// DefaultStallTimeout is the stall timeout when Options.StallTimeout is 0.
const DefaultStallTimeout = 60 * time.Second

// ErrNotFound means the server or directory has no such file (HTTP 404 or
// 410, or a missing local file).
var ErrNotFound = httpget.ErrNotFound

// ErrStalled means a download received no data for Options.StallTimeout.
var ErrStalled = errors.New("download stalled")

// HTTPError is a response with a status other than 200 (or 304 to a
// conditional request). It matches ErrNotFound for 404 and 410. It is the
// one HTTP error type of pestle's downloads (see internal/httpget).
type HTTPError = httpget.HTTPError

// repoHint is what a 404 or 410 from a repository asks to check.
const repoHint = "check the repository URL and the architecture directory"

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (o Options) keyring() *keys.Keyring {
	if o.Keyring != nil {
		return o.Keyring
	}
	return keys.NewKeyring()
}

func (o Options) retries() int {
	switch {
	case o.Retries < 0:
		return 0
	case o.Retries == 0:
		return DefaultRetries
	}
	return o.Retries
}

func (o Options) stallTimeout() time.Duration {
	if o.StallTimeout > 0 {
		return o.StallTimeout
	}
	return DefaultStallTimeout
}

// cacheDir resolves the cache directory, creating it on first use.
func (o Options) cacheDir() (string, error) {
	dir := o.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache directory: %w (set one with --cache-dir)", err)
		}
		dir = filepath.Join(base, "pestle")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("cache directory: %w (choose another with --cache-dir)", err)
	}
	return dir, nil
}

// discardBody reads what is left of a small error response so the
// connection can be reused, then closes it.
func discardBody(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
