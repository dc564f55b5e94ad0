// Package netns makes a private network namespace for a build: it has
// only a loopback interface, and a listening TCP socket on it that the
// host side serves (pestle's recording proxy). Every sandbox of the build
// starts inside the namespace, so every step shares its loopback and can
// reach the listener, and nothing else.
//
// As root, one thread of the calling process moves into a new namespace
// and stays there: it opens the listener and makes Dial's connections,
// and Join gives its descriptor, which a sandbox runner joins (setns)
// before it starts bwrap. No other program runs.
//
// Otherwise the namespace is made by a short-lived helper: this same
// program, re-executed in a new network namespace and a new user
// namespace that maps the caller to root, which is what lets an ordinary
// user own a network namespace. The helper brings the loopback up, opens
// the listener, passes its descriptor back over a socket pair and stays
// to dial for Dial. Sandboxes enter through nsenter(1) (Enter). The
// caller keeps descriptors of the namespaces open, so they live exactly
// as long as the NS value, and nsenter reaches them through /proc/<pid>/fd
// (never through the helper's pid, which could be reused).
//
// A program using the package must let its init run before main does
// anything else: the helper is recognised there by an environment
// variable.
package netns
