package repo

import (
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"

	"github.com/pestle-dev/pestle/keys"
)

// LoadKeyring builds a keyring from entries: key files, directories (every
// "*.pub" file in them), file:// URLs and http(s) URLs. A downloaded key is
// cached (revalidated with a conditional request on later loads) and named
// by the base name of its URL path, e.g. "wolfi-signing.rsa.pub". opts
// supplies the cache directory, HTTP client, retries, progress and logger;
// opts.Keyring is not consulted.
func LoadKeyring(ctx context.Context, entries []string, opts Options) (*keys.Keyring, error) {
	kr := keys.NewKeyring()
	var f *fetcher
	for _, e := range entries {
		loc, err := parseLocation(e)
		if err != nil {
			return nil, fmt.Errorf("keyring entry: %w", err)
		}
		if !loc.remote() {
			local, err := keys.LoadKeyring(loc.dir)
			if err != nil {
				return nil, err
			}
			for _, name := range local.Names() {
				pub, _ := local.Lookup(name)
				kr.Add(name, pub)
			}
			continue
		}
		if f == nil {
			f = newFetcher(opts)
		}
		if err := f.loadRemoteKey(ctx, kr, loc, opts); err != nil {
			return nil, err
		}
	}
	return kr, nil
}

// maxKeySize bounds a key download; a PEM RSA public key is under 1 KiB.
const maxKeySize = 64 << 10

func (f *fetcher) loadRemoteKey(ctx context.Context, kr *keys.Keyring, loc location, opts Options) error {
	u := loc.String()
	name := path.Base(loc.base.Path)
	if name == "." || name == "/" || name == "" {
		return fmt.Errorf("keyring entry %s: the URL names no file (a key URL ends in its file name, e.g. …/melange.rsa.pub)", u)
	}
	if err := checkName("key name", name); err != nil {
		return fmt.Errorf("keyring entry %s: %w", u, err)
	}
	if loc.base.Scheme == "http" {
		f.log.Warn("downloading a trusted key over plain http: anyone on the path can replace it; prefer https or a local file", "url", u)
	}
	cache, err := opts.cacheDir()
	if err != nil {
		return err
	}
	dir := filepath.Join(cache, "apk", "keys", slug(u))
	return f.cachedGet(ctx, u, dir, name, maxKeySize, func(r io.Reader) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if err := kr.AddPEM(name, data); err != nil {
			return fmt.Errorf("keyring entry %s: %w", u, err)
		}
		return nil
	})
}
