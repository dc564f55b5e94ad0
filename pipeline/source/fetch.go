package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// FetchInput is a `uses: fetch` step, with melange's input names.
type FetchInput struct {
	URI            string // uri (required): http(s)://, or file:/// or a path on this machine (see Options.Local)
	ExpectedSHA256 string // expected-sha256
	ExpectedSHA512 string // expected-sha512
	// ExpectedNone (expected-none) allows an artifact without a checksum.
	// A checksum that is given is still verified.
	ExpectedNone    bool
	StripComponents int    // strip-components (melange default 1)
	Extract         bool   // extract (melange default true)
	Delete          bool   // delete: remove the artifact after extracting
	Directory       string // directory to extract into; "" means "."
	// Timeout (timeout) bounds connecting and each wait for data; zero
	// means 5 s.
	Timeout time.Duration
	// DNSTimeout (dns-timeout) bounds each name lookup; zero means 20 s.
	DNSTimeout time.Duration
	// RetryLimit (retry-limit) is the number of attempts; zero means 5.
	// wget reads 0 as "forever"; pestle always stops.
	RetryLimit  int
	PurlName    string // purl-name, recorded for the SBOM
	PurlVersion string // purl-version, recorded for the SBOM
	Reason      string // reason: why the recipe fetches it so (for readers)
}

// FetchResult describes the placed artifact, for the log and the SBOM.
type FetchResult struct {
	URI  string
	Name string // base name of the artifact in the workspace
	// Path is the artifact in the workspace; empty when delete removed it.
	Path        string
	SHA256      string
	SHA512      string
	FromCache   bool // served from the cache, no download
	PurlName    string
	PurlVersion string
}

func (in *FetchInput) validate() error {
	fail := func(input, value, reason string) error {
		return &InputError{Pipeline: "fetch", Input: input, Value: value, Reason: reason}
	}
	switch {
	case in.URI == "":
		return fail("uri", "", "is required")
	case in.ExpectedSHA256 != "" && !isHex(in.ExpectedSHA256, 64):
		return fail("expected-sha256", in.ExpectedSHA256, "must be 64 lowercase hex digits")
	case in.ExpectedSHA512 != "" && !isHex(in.ExpectedSHA512, 128):
		return fail("expected-sha512", in.ExpectedSHA512, "must be 128 lowercase hex digits")
	case in.ExpectedSHA256 == "" && in.ExpectedSHA512 == "" && !in.ExpectedNone:
		return fail("expected-sha256", "", "one of expected-sha256 or expected-sha512 is required (expected-none: true skips verification)")
	case in.StripComponents < 0:
		return fail("strip-components", fmt.Sprint(in.StripComponents), "must not be negative")
	case in.Timeout < 0 || in.DNSTimeout < 0 || in.RetryLimit < 0:
		return fail("timeout", "", "timeouts and retry-limit must not be negative")
	}
	if _, err := localPath(in.Directory); err != nil {
		return fail("directory", in.Directory, err.Error())
	}
	return nil
}

func (in *FetchInput) defaults() {
	if in.Directory == "" {
		in.Directory = "."
	}
	if in.Timeout == 0 {
		in.Timeout = 5 * time.Second
	}
	if in.DNSTimeout == 0 {
		in.DNSTimeout = 20 * time.Second
	}
	if in.RetryLimit == 0 {
		in.RetryLimit = 5
	}
}

// cacheKey is the cache file name for the expected checksum, as melange's
// update-cache lays it out ("sha256:<hex>", else "sha512:<hex>"), or ""
// when no checksum is known.
func (in *FetchInput) cacheKey() string {
	switch {
	case in.ExpectedSHA256 != "":
		return "sha256:" + in.ExpectedSHA256
	case in.ExpectedSHA512 != "":
		return "sha512:" + in.ExpectedSHA512
	}
	return ""
}

// verify checks every checksum that is given.
func (in *FetchInput) verify(s sums) error {
	if in.ExpectedSHA256 != "" && s.SHA256 != in.ExpectedSHA256 {
		return &ChecksumError{URI: in.URI, Algorithm: "sha256", Expected: in.ExpectedSHA256, Actual: s.SHA256}
	}
	if in.ExpectedSHA512 != "" && s.SHA512 != in.ExpectedSHA512 {
		return &ChecksumError{URI: in.URI, Algorithm: "sha512", Expected: in.ExpectedSHA512, Actual: s.SHA512}
	}
	return nil
}

// localPath cleans a workspace-relative path and refuses one that is
// absolute or leaves the workspace.
func localPath(p string) (string, error) {
	if p == "" {
		return ".", nil
	}
	if filepath.IsAbs(p) {
		return "", errors.New("must be relative to the workspace")
	}
	c := filepath.Clean(p)
	if !filepath.IsLocal(c) {
		return "", errors.New("must stay inside the workspace")
	}
	return c, nil
}

// artifactName is the base name the artifact gets in the workspace, as
// wget names a download: the last path segment of the URL.
func artifactName(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", &InputError{Pipeline: "fetch", Input: "uri", Value: uri, Reason: err.Error()}
	}
	name := path.Base(u.Path)
	if u.Scheme == "" {
		name = filepath.Base(uri)
	}
	switch name {
	case "", ".", "/":
		if u.Scheme == "http" || u.Scheme == "https" {
			return "index.html", nil
		}
		return "", &InputError{Pipeline: "fetch", Input: "uri", Value: uri, Reason: "names no file"}
	case "..":
		return "", &InputError{Pipeline: "fetch", Input: "uri", Value: uri, Reason: `ends in ".."`}
	}
	return name, nil
}

// Fetch places the artifact of in at <workspace>/<base name of the URI>,
// from the cache when the expected checksum is there, else by downloading
// it (verified before it enters the cache or the workspace), then extracts
// it into <workspace>/<directory> unless in.Extract is false, and removes
// it when in.Delete is set. A checksum mismatch returns *ChecksumError and
// leaves nothing behind.
func Fetch(ctx context.Context, in FetchInput, workspace string, opts Options) (*FetchResult, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	in.defaults()
	dir, _ := localPath(in.Directory)
	name, err := artifactName(in.URI)
	if err != nil {
		return nil, err
	}
	ws, err := os.OpenRoot(workspace)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: workspace: %w", in.URI, err)
	}
	defer ws.Close()
	log := opts.logger()

	s, fromCache, err := place(ctx, &in, name, ws, workspace, &opts)
	if err != nil {
		return nil, err
	}
	res := &FetchResult{URI: in.URI, Name: name, Path: filepath.Join(workspace, name),
		SHA256: s.SHA256, SHA512: s.SHA512, FromCache: fromCache,
		PurlName: in.PurlName, PurlVersion: in.PurlVersion}
	if in.Extract {
		log.Info("fetch: extracting", "file", name, "directory", dir, "strip-components", in.StripComponents)
		if err := extractStaged(ctx, res.Path, ws, dir, in.StripComponents, log); err != nil {
			return nil, err
		}
	}
	if in.Delete {
		if err := ws.Remove(name); err != nil {
			return nil, fmt.Errorf("fetch %s: delete: %w", in.URI, err)
		}
		res.Path = ""
	}
	return res, nil
}

// place puts the verified artifact at name in the workspace and returns
// its digests and whether it came from the cache.
func place(ctx context.Context, in *FetchInput, name string, ws *os.Root, workspace string, opts *Options) (sums, bool, error) {
	log := opts.logger()
	key := in.cacheKey()
	cached := ""
	if opts.CacheDir != "" && key != "" {
		cached = filepath.Join(opts.CacheDir, key)
		s, err := copyIntoWorkspace(ws, name, cached, in.verify)
		switch {
		case err == nil:
			log.Info("fetch: found in cache", "uri", in.URI, "cache", cached)
			return s, true, nil
		case errors.Is(err, ErrChecksumMismatch):
			log.Warn("fetch: discarding corrupt cache entry", "cache", cached, "error", err)
			os.Remove(cached)
		case !errors.Is(err, fs.ErrNotExist):
			return sums{}, false, fmt.Errorf("fetch %s: cache: %w", in.URI, err)
		}
	}
	// Like melange, a file of that name already in the workspace (for
	// example from --source-dir) is used when its checksum is right.
	if key != "" {
		if s, err := hashRootFile(ws, name); err == nil && in.verify(s) == nil {
			log.Info("fetch: using the file already in the workspace", "file", name)
			if cached != "" {
				storeInCache(ws, name, cached)
			}
			return s, false, nil
		}
		// The workspace as the steps see it may show the file from the
		// source dir under it (an overlay): copy it up.
		if opts.Local != nil {
			if host, err := opts.Local(name); err == nil {
				if s, err := copyIntoWorkspace(ws, name, host, in.verify); err == nil {
					log.Info("fetch: using the file already in the workspace", "file", name)
					if cached != "" {
						storeInCache(ws, name, cached)
					}
					return s, false, nil
				}
			}
		}
	}

	if isLocalURI(in.URI) {
		log.Info("fetch: reading a local file", "uri", in.URI)
	} else {
		log.Info("fetch: downloading", "uri", in.URI)
	}
	if cached != "" {
		return downloadToCache(ctx, in, name, ws, workspace, cached, opts)
	}
	tmp, f, err := createTemp(ws, ".pestle-fetch-")
	if err != nil {
		return sums{}, false, err
	}
	s, err := download(ctx, in, workspace, f, opts)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = in.verify(s)
	}
	if err == nil {
		err = ws.Rename(tmp, name)
	}
	if err != nil {
		ws.Remove(tmp)
		return sums{}, false, err
	}
	return s, false, nil
}

// downloadToCache downloads into a temporary file of the cache directory,
// verifies it, renames it into the cache and copies it to the workspace.
func downloadToCache(ctx context.Context, in *FetchInput, name string, ws *os.Root, workspace, cached string, opts *Options) (sums, bool, error) {
	if err := os.MkdirAll(filepath.Dir(cached), 0o755); err != nil {
		return sums{}, false, fmt.Errorf("fetch %s: cache: %w", in.URI, err)
	}
	f, err := fsutil.Create(cached)
	if err != nil {
		return sums{}, false, fmt.Errorf("fetch %s: cache: %w", in.URI, err)
	}
	defer f.Abort()
	s, err := download(ctx, in, workspace, f.File, opts)
	if err == nil {
		err = in.verify(s)
	}
	if err != nil {
		return sums{}, false, err
	}
	if err := f.Commit(0o644); err != nil {
		return sums{}, false, fmt.Errorf("fetch %s: cache: %w", in.URI, err)
	}
	if _, err := copyIntoWorkspace(ws, name, cached, nil); err != nil {
		return sums{}, false, fmt.Errorf("fetch %s: %w", in.URI, err)
	}
	return s, false, nil
}

// copyIntoWorkspace copies src to name in the workspace through a
// temporary file that is renamed into place only if check (when set)
// accepts the digests of what was copied.
func copyIntoWorkspace(ws *os.Root, name, src string, check func(sums) error) (sums, error) {
	in, err := fsutil.OpenRegular(src)
	if err != nil {
		return sums{}, err
	}
	defer in.Close()
	tmp, f, err := createTemp(ws, ".pestle-fetch-")
	if err != nil {
		return sums{}, err
	}
	h := newHashSet()
	_, err = io.Copy(io.MultiWriter(f, h), in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && check != nil {
		err = check(h.sums())
	}
	if err == nil {
		err = ws.Rename(tmp, name)
	}
	if err != nil {
		ws.Remove(tmp)
		return sums{}, err
	}
	return h.sums(), nil
}

// storeInCache copies a verified workspace file into the cache; failures
// only cost a later download, so they are ignored.
func storeInCache(ws *os.Root, name, cached string) {
	src, err := ws.Open(name)
	if err != nil {
		return
	}
	defer src.Close()
	if os.MkdirAll(filepath.Dir(cached), 0o755) != nil {
		return
	}
	fsutil.Write(cached, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, src)
		return err
	})
}

func hashRootFile(ws *os.Root, name string) (sums, error) {
	fi, err := ws.Lstat(name)
	if err != nil {
		return sums{}, err
	}
	if !fi.Mode().IsRegular() {
		return sums{}, fs.ErrInvalid
	}
	f, err := ws.Open(name)
	if err != nil {
		return sums{}, err
	}
	defer f.Close()
	h := newHashSet()
	if _, err := io.Copy(h, f); err != nil {
		return sums{}, err
	}
	return h.sums(), nil
}

// createTemp makes a new empty file with a random name at the top of root.
func createTemp(root *os.Root, prefix string) (string, *os.File, error) {
	for range 10 {
		name := prefix + randomHex()
		f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return name, f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", nil, err
		}
	}
	return "", nil, fmt.Errorf("cannot make a temporary file in %s", root.Name())
}

// isLocalURI reports a uri that names a file on this machine.
func isLocalURI(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && (u.Scheme == "" || u.Scheme == "file")
}
