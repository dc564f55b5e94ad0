package repo

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// maxIndexSize bounds an index download (the index reader's own limit).
const maxIndexSize = 1 << 30

// Repository is one package repository for one architecture: a local
// directory, a file:// URL or an http(s):// URL whose <Arch>/ directory
// holds APKINDEX.tar.gz and the packages. It is safe for concurrent use.
type Repository struct {
	// URL is the location as given, normalised (file:// URLs become
	// paths, trailing slashes are dropped).
	URL string
	// Arch is the architecture directory read, e.g. "x86_64".
	Arch string

	loc   location
	opts  Options
	f     *fetcher
	cache string // cache directory, remote repositories only
}

// Open prepares the repository at url. It checks that a local repository
// directory exists and that the cache directory of a remote one can be
// made; it does not fetch anything.
func Open(ctx context.Context, url string, opts Options) (*Repository, error) {
	loc, err := parseLocation(url)
	if err != nil {
		return nil, fmt.Errorf("repository: %w", err)
	}
	arch, err := normalizeArch(opts.Arch)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", loc, err)
	}
	r := &Repository{URL: loc.String(), Arch: arch, loc: loc, opts: opts}
	if !loc.remote() {
		st, err := os.Stat(loc.dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("repository %s: %w: no such directory", loc, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("repository: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("repository %s: not a directory (a repository holds <arch>/%s)", loc, index.FileName)
		}
		return r, nil
	}
	if r.cache, err = opts.cacheDir(); err != nil {
		return nil, err
	}
	r.f = newFetcher(opts)
	return r, nil
}

// IndexURL is the URL (or path) of the repository's index.
func (r *Repository) IndexURL() string { return r.loc.child(r.Arch, index.FileName) }

// PackageURL is the URL (or path) of pkg in the repository:
// <repo>/<Arch>/<name>-<version>.apk.
func (r *Repository) PackageURL(pkg *apk.PackageInfo) (string, error) {
	if pkg == nil {
		return "", errors.New("repository: nil package")
	}
	if err := checkName("package name", pkg.Name); err != nil {
		return "", fmt.Errorf("repository %s: %w", r.URL, err)
	}
	if err := checkName("version of "+pkg.Name, pkg.Version); err != nil {
		return "", fmt.Errorf("repository %s: %w", r.URL, err)
	}
	return r.loc.child(r.Arch, pkg.Filename()), nil
}

// Index returns the repository's index, verified against Options.Keyring:
// a bad signature is always an error (keys.ErrBadSignature), an unsigned or
// untrusted index (keys.ErrUntrusted) unless Options.AllowUntrusted. A
// remote index is revalidated with a conditional request (If-None-Match,
// If-Modified-Since): on 304 the cached copy is verified again and used.
// A new index replaces the cached one only once it has verified.
func (r *Repository) Index(ctx context.Context) (*index.Index, error) {
	u := r.IndexURL()
	kr, allow := r.opts.keyring(), r.opts.AllowUntrusted
	if !r.loc.remote() {
		ix, err := index.ReadFile(u, kr, allow)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("repository %s: %w: no index %s (is %q the right architecture?)", r.URL, ErrNotFound, u, r.Arch)
		}
		var ue *index.UntrustedError
		if errors.As(err, &ue) {
			if key := r.findKey(ue.Keys); key != "" {
				err = fmt.Errorf("%w (there is one: -k %s)", err, key)
			}
		}
		return ix, err
	}
	var ix *index.Index
	dir := filepath.Join(r.cache, "apk", "index", slug(u))
	err := r.f.cachedGet(ctx, u, dir, index.FileName, maxIndexSize, func(rd io.Reader) error {
		var err error
		if ix, err = index.Read(rd, kr, allow); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ix, nil
}

// findKey is a public key file of one of names beside a local
// repository (in its arch directory, its directory or the one above,
// where pestle's and melange's layouts keep it), or "".
func (r *Repository) findKey(names []string) string {
	return keys.FindFile(names, r.loc.child(r.Arch), r.loc.dir, filepath.Dir(r.loc.dir))
}

// Fetch returns the path of pkg's .apk file once it has been verified
// against the index record: the control member must hash to pkg.Checksum
// (the index C:) and the data member to its datahash. A local repository's
// file is verified in place. A remote package is downloaded once into the
// cache, keyed by its checksum; a cached copy is verified on every Fetch,
// and one that fails is discarded and downloaded again once. A download
// that fails verification is never kept. Meta packages (Size 0) are
// fetched like any other; skipping them is the caller's choice.
func (r *Repository) Fetch(ctx context.Context, pkg *apk.PackageInfo) (string, error) {
	u, err := r.PackageURL(pkg)
	if err != nil {
		return "", err
	}
	if len(pkg.Checksum) == 0 {
		return "", fmt.Errorf("repository %s: package %s-%s has no checksum (C:) in the index, so it cannot be verified", r.URL, pkg.Name, pkg.Version)
	}
	if !r.loc.remote() {
		if err := verifyFile(u, pkg); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("repository %s: %w: %s is in the index but not in the directory", r.URL, ErrNotFound, u)
			}
			return "", err
		}
		return u, nil
	}

	dir := filepath.Join(r.cache, "apk", "packages")
	path := filepath.Join(dir, hex.EncodeToString(pkg.Checksum)+"."+pkg.Filename())
	unlock, err := lockKey(ctx, path)
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		err := verifyFile(path, pkg)
		if err == nil {
			r.f.log.Debug("package from cache", "package", pkg.Filename(), "path", path)
			return path, nil
		}
		r.f.log.Warn("discarding cached package that fails verification", "path", path, "err", err)
		if rmErr := os.Remove(path); rmErr != nil {
			return "", fmt.Errorf("cache: %w", rmErr)
		}
	}

	dst := &spool{path: path}
	res, err := r.f.get(ctx, request{url: u, total: pkg.FileSize}, dst)
	if err != nil {
		dst.discard()
		return "", err
	}
	if pkg.FileSize > 0 && res.size != pkg.FileSize {
		r.f.log.Warn("package size differs from the index", "url", u, "size", res.size, "index_size", pkg.FileSize)
	}
	tmp, err := dst.file()
	if err != nil {
		return "", err
	}
	if err := verify(tmp, pkg); err != nil {
		tmp.Abort()
		return "", fmt.Errorf("%s: %w", u, err)
	}
	if err := commit(tmp); err != nil {
		return "", err
	}
	r.f.log.Debug("package downloaded", "url", u, "path", path, "size", res.size)
	return path, nil
}

// verifyFile verifies the package file at path; see verify.
func verifyFile(path string, pkg *apk.PackageInfo) error {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := verify(f, pkg); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
