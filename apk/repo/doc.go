// Package repo reads package repositories: a local directory, a file:// URL
// or an http(s):// URL whose <arch>/ directory holds APKINDEX.tar.gz and
// the packages as <name>-<version>.apk.
//
//	r, err := repo.Open(ctx, "https://packages.wolfi.dev/os", repo.Options{Keyring: kr})
//	ix, err := r.Index(ctx)              // fetched (conditionally), signature verified
//	path, err := r.Fetch(ctx, ix.Packages[0]) // downloaded once, verified
//
// Nothing fetched is used before it is verified. An index must be signed by
// a key of Options.Keyring (keys.ErrBadSignature otherwise, or
// keys.ErrUntrusted when no key of the signature's name is known or it is
// unsigned, unless Options.AllowUntrusted). A package's control member must
// hash to the index C: value and its data to its datahash, with every
// per-file checksum (apk.ErrCorrupted otherwise).
//
// Remote repositories share one HTTP client with connect, TLS and header
// timeouts; a download that receives nothing for Options.StallTimeout is
// aborted. Requests failing with a 5xx status, 408, 429, a network error
// (not an invalid certificate or unknown host) or a truncated body are
// retried Options.Retries times with exponential backoff, and give up at
// once when the context ends. A 404 is an
// *HTTPError matching ErrNotFound and naming the URL.
//
// The cache (Options.CacheDir, by default os.UserCacheDir()/pestle) keeps
// the last verified index of each URL with its ETag and Last-Modified, so
// that the next Index sends a conditional request and a 304 reuses it, and
// every verified package under its checksum, so that it is downloaded
// once. Files enter the cache by temp file, fsync and rename: a crash never
// leaves a torn file, and a cached copy that no longer verifies is
// discarded and fetched again once. Downloads report progress through
// Options.Progress; the package never prints.
//
// LoadKeyring builds a keyring from key files, directories of "*.pub" keys
// and key URLs; a downloaded key is cached and named by its URL's base
// name.
package repo
