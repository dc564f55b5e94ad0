// Package netns makes a private network namespace for a build: it has
// only a loopback interface, and a listening TCP socket on it that the
// host side serves (pestle's recording proxy). Sandboxes enter the
// namespace with nsenter(1) before bwrap starts, so every step of the
// build shares its loopback and can reach the listener, and nothing else.
//
// The namespace is made by a short-lived helper: this same program,
// re-executed in a new network namespace (and, when not root, a new user
// namespace that maps the caller to root, which is what lets an ordinary
// user own a network namespace). The helper brings the loopback up, opens
// the listener, passes its descriptor back over a socket pair and exits.
// The caller keeps descriptors of the namespaces open, so they live
// exactly as long as the NS value, and nsenter reaches them through
// /proc/<pid>/fd (never through the helper's pid, which could be reused).
//
// A program using the package must let its init run before main does
// anything else: the helper is recognised there by an environment
// variable.
package netns
