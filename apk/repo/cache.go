package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// Cache layout, below the cache directory:
//
//	apk/index/<slug>/APKINDEX.tar.gz    last verified index of one URL
//	apk/index/<slug>/meta.json          its URL, ETag, Last-Modified, SHA-256
//	apk/keys/<slug>/<name>.pub          a downloaded key (same meta.json)
//	apk/packages/<hex C:>.<P>-<V>.apk   verified packages, keyed by checksum
//
// <slug> is the URL made file-name safe plus a short hash of it. Every
// file is written under a temporary name and renamed into place.
const metaFile = "meta.json"

// meta records how a cached download was obtained.
type meta struct {
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	SHA256       string `json:"sha256"`
}

// slug names the cache directory of a URL.
func slug(u string) string {
	sum := sha256.Sum256([]byte(u))
	s := u
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	var b strings.Builder
	for _, c := range s {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return strings.Trim(b.String(), "._") + "-" + hex.EncodeToString(sum[:6])
}

func readMeta(dir string) (meta, bool) {
	data, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return meta{}, false
	}
	var m meta
	if json.Unmarshal(data, &m) != nil || m.SHA256 == "" {
		return meta{}, false
	}
	return m, true
}

func writeMeta(dir string, m meta) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, metaFile), append(data, '\n'))
}

// createTemp makes the temporary file that becomes path on Commit (see
// fsutil.File), creating path's directory.
func createTemp(path string) (*fsutil.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	f, err := fsutil.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return f, nil
}

// commit publishes f at its final path.
func commit(f *fsutil.File) error {
	if err := f.Commit(0o644); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	if err := fsutil.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// errCorrupt means a cached file no longer has the content it was stored
// with (a disk error or an outside edit); it is dropped and fetched again.
var errCorrupt = errors.New("cached copy is corrupt")

// consume passes r through use while hashing it, reads what use left so
// the hash covers everything, and returns the hex SHA-256. If want is set
// and differs, the error wraps errCorrupt whatever use returned.
func consume(r io.Reader, want string, use func(io.Reader) error) (string, error) {
	h := sha256.New()
	tr := io.TeeReader(r, h)
	uerr := use(tr)
	if _, err := io.Copy(io.Discard, tr); err != nil && uerr == nil {
		uerr = err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if want != "" && sum != want {
		return sum, fmt.Errorf("%w: sha256 %s, stored as %s", errCorrupt, sum, want)
	}
	return sum, uerr
}

// cachedGet makes dir/name the current, verified content of u. With a
// cached copy it sends a conditional request; on 304 the cached copy is
// checked against its recorded hash and passed to use, otherwise the new
// body is passed to use and replaces the cached copy only if use accepts
// it. A corrupt cached copy is dropped and fetched again once.
func (f *fetcher) cachedGet(ctx context.Context, u, dir, name string, limit int64, use func(io.Reader) error) error {
	unlock, err := lockKey(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	path := filepath.Join(dir, name)
	for try := 0; ; try++ {
		req := request{url: u, limit: limit}
		m, cached := readMeta(dir)
		if cached && m.URL == u && try == 0 {
			if _, err := os.Stat(path); err == nil {
				req.etag, req.lastModified = m.ETag, m.LastModified
			}
		}
		dst := &spool{path: path}
		res, err := f.get(ctx, req, dst)
		if err != nil {
			dst.discard()
			return err
		}
		if res.notModified {
			dst.discard()
			f.log.Debug("not modified, using the cache", "url", u)
			err := useFile(path, m.SHA256, use)
			if errors.Is(err, errCorrupt) && try == 0 {
				f.log.Warn("dropping corrupt cached copy", "path", path, "err", err)
				os.Remove(filepath.Join(dir, metaFile))
				os.Remove(path)
				continue
			}
			return err
		}
		tmp, err := dst.file()
		if err != nil {
			return err
		}
		sum, err := consume(tmp, "", use)
		if err != nil {
			tmp.Abort()
			return err
		}
		// The meta file goes last: a crash in between leaves an old
		// validator with a new file, and the hash check catches that.
		if err := commit(tmp); err != nil {
			return err
		}
		return writeMeta(dir, meta{URL: u, ETag: res.etag, LastModified: res.lastModified, SHA256: sum})
	}
}

// useFile passes the file at path through use, checking its hash.
func useFile(path, sum string, use func(io.Reader) error) error {
	f, err := fsutil.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s vanished", errCorrupt, path)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = consume(f, sum, use)
	return err
}

// keyLocks serialises work on one cache entry within the process, so two
// goroutines never download the same file at once; other processes are
// kept safe by the temp-and-rename writes.
var keyLocks = struct {
	sync.Mutex
	m map[string]*keyLock
}{m: map[string]*keyLock{}}

type keyLock struct {
	ch    chan struct{}
	users int
}

// lockKey waits for the lock of key, or for ctx to end.
func lockKey(ctx context.Context, key string) (unlock func(), err error) {
	keyLocks.Lock()
	l := keyLocks.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		keyLocks.m[key] = l
	}
	l.users++
	keyLocks.Unlock()
	release := func() {
		keyLocks.Lock()
		if l.users--; l.users == 0 {
			delete(keyLocks.m, key)
		}
		keyLocks.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
