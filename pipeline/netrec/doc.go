// Package netrec is the recording HTTP(S) proxy that build steps reach the
// network through, and the record it keeps.
//
// A Proxy serves plain HTTP proxy requests and CONNECT tunnels. A tunnel
// is opened with a certificate made on the spot for the host, signed by a
// certificate authority that exists for one build only: its key is never
// written anywhere, and its certificate is added to the guest's CA bundle
// (InstallCA) so the step's tools trust it. Upstream, the proxy checks TLS
// against the host's trust store (or Upstream.RootCAs).
//
// Every exchange is recorded as an Entry: method, URL, status, size and
// the sha256 of the body. Bodies are kept in a cache keyed by sha256
// (Config.CacheDir). The entries go into the package's SBOM and into a
// lock file (WriteLock); in Replay mode the proxy serves only what a lock
// recorded, from the cache (or from upstream when the cache lacks it),
// checking each body against its recorded sha256 before the step sees a
// byte of it. A host outside Config.Allow, a URL missing from the lock and
// a body whose checksum differs are refused and kept as Refusals, so a
// failing step can be told why. So is a connection to a link-local,
// cloud metadata, multicast or unspecified address (checked on the address
// dialled, after resolution) that no exact Config.Allow entry names.
//
// Modes (Mode): Record (the default), Replay, Off (no network at all) and
// Host (the host's network, nothing recorded); the proxy serves the first
// two, the sandbox implements the others.
package netrec
