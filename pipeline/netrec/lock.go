package netrec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// Entry is one recorded exchange.
type Entry struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Status int    `json:"status"`
	// Size and SHA256 describe the response body as received.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// ContentType and Location are the response's headers, kept so that
	// replay answers as the server did.
	ContentType string `json:"content_type,omitempty"`
	Location    string `json:"location,omitempty"`
}

// Download reports whether e is a download: a successful GET.
func (e Entry) Download() bool {
	return e.Method == "GET" && e.Status >= 200 && e.Status < 300
}

// Lock is the record of a build's network use, the file written next to
// its packages.
type Lock struct {
	Version  int     `json:"version"`
	Requests []Entry `json:"requests"`
}

// LockVersion is the version of the lock format this package writes.
const LockVersion = 1

// maxLock bounds the size of a lock file read.
const maxLock = 64 << 20

// LockName is the lock file's name for a package file name
// (<name>-<version>.apk → <name>-<version>.network.json).
func LockName(apkName string) string {
	return strings.TrimSuffix(apkName, ".apk") + ".network.json"
}

// TestLockName is the name of the lock of a package's test, for the
// package's file name (<name>-<version>.apk →
// <name>-<version>.test.network.json).
func TestLockName(apkName string) string {
	return strings.TrimSuffix(apkName, ".apk") + ".test.network.json"
}

// sortEntries orders entries by URL, method, status and checksum, and
// drops duplicates.
func sortEntries(es []Entry) []Entry {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b Entry) int {
		for _, c := range []int{strings.Compare(a.URL, b.URL), strings.Compare(a.Method, b.Method), a.Status - b.Status, strings.Compare(a.SHA256, b.SHA256)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return slices.Compact(es)
}

// MarshalLock renders the lock of entries: sorted, two-space indent,
// trailing newline, the same bytes for the same entries.
func MarshalLock(entries []Entry) ([]byte, error) {
	l := Lock{Version: LockVersion, Requests: sortEntries(entries)}
	if l.Requests == nil {
		l.Requests = []Entry{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(l); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteLock writes the lock of entries to path atomically (fsutil: a
// temporary file beside it, synced, renamed, the directory synced).
func WriteLock(path string, entries []Entry) error {
	data, err := MarshalLock(entries)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing the network lock %s: %w", path, err)
	}
	return nil
}

// ReadLock reads and checks a lock file: a regular file (a FIFO there is
// refused, not waited on), at most maxLock bytes.
func ReadLock(path string) (*Lock, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLock+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxLock {
		return nil, fmt.Errorf("%s: larger than %d MiB, not a network lock", path, maxLock>>20)
	}
	l, err := ParseLock(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// ErrBadLock is wrapped by every error about a malformed lock.
var ErrBadLock = errors.New("bad network lock")

// ParseLock decodes and checks a lock: known fields only, version 1,
// every entry complete.
func ParseLock(data []byte) (*Lock, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var l Lock
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadLock, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the lock object", ErrBadLock)
	}
	if l.Version != LockVersion {
		return nil, fmt.Errorf("%w: version %d, this pestle reads version %d", ErrBadLock, l.Version, LockVersion)
	}
	for i, e := range l.Requests {
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("%w: requests[%d]: %v", ErrBadLock, i, err)
		}
	}
	return &l, nil
}

func (e Entry) check() error {
	if e.Method == "" || strings.ContainsFunc(e.Method, func(r rune) bool { return r < 'A' || r > 'Z' }) {
		return fmt.Errorf("method %q is not an HTTP method", e.Method)
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an http(s) URL", e.URL)
	}
	if e.Status < 100 || e.Status > 599 {
		return fmt.Errorf("status %d is not an HTTP status", e.Status)
	}
	if e.Size < 0 {
		return fmt.Errorf("size %d is negative", e.Size)
	}
	if len(e.SHA256) != 64 || strings.Trim(e.SHA256, "0123456789abcdef") != "" {
		return fmt.Errorf("sha256 %q is not 64 lower-case hex digits", e.SHA256)
	}
	if strings.ContainsAny(e.ContentType+e.Location, "\r\n\x00") {
		return errors.New("content_type or location holds a control character")
	}
	return nil
}
