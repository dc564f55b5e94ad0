package sandbox

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrBwrapMissing: the bwrap program is not installed.
	ErrBwrapMissing = errors.New("bubblewrap (bwrap) is not installed")
	// ErrUserNamespaces: the kernel refuses the namespaces the sandbox
	// needs (usually unprivileged user namespaces).
	ErrUserNamespaces = errors.New("the kernel refuses to create the sandbox's user namespace")
	// ErrArchUnsupported: this host cannot run programs of the target
	// architecture.
	ErrArchUnsupported = errors.New("this host cannot run programs of the target architecture")
	// ErrTimeout: a step ran longer than its Command.Timeout.
	ErrTimeout = errors.New("step timed out")
	// ErrOverlayUnsupported: Spec.Overlay needs root and overlayfs.
	ErrOverlayUnsupported = errors.New("sandbox: overlay guest roots need root and overlayfs")
	// ErrNotStarted: Run was called before Start or after Close.
	ErrNotStarted = errors.New("sandbox: runner is not started (call Start first)")
	// ErrClosed: Close killed the step.
	ErrClosed = errors.New("sandbox: runner was closed while the step ran")
)

// ExitError is a step that ran and exited non-zero.
type ExitError struct {
	// Code is the exit status of the step's shell; 128+N when signal N
	// killed it.
	Code int
	// NetworkHint is set when the sandbox had no network and the step's
	// error output looks like a failed network access.
	NetworkHint bool
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("sandbox: step exited with status %d", e.Code)
	if e.NetworkHint {
		msg += " (the sandbox has no network: enable network for this build if the step needs it)"
	}
	return msg
}

// SetupError is bwrap failing before the step's shell ran: a mount that
// cannot be made, a namespace the kernel refuses, no /bin/sh in the root.
type SetupError struct {
	Code    int    // bwrap's exit status
	Message string // the end of bwrap's error output
	Fix     string // set when the cause is known
	cause   error  // ErrUserNamespaces when the message says so
}

func (e *SetupError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no error output"
	}
	s := fmt.Sprintf("sandbox: bwrap could not set up the sandbox (status %d): %s", e.Code, msg)
	if e.Fix != "" {
		s += "; fix: " + e.Fix
	}
	return s
}

// Unwrap returns ErrUserNamespaces when bwrap failed to create a namespace.
func (e *SetupError) Unwrap() error { return e.cause }

// PreflightError is a host problem found before building, with its fix.
type PreflightError struct {
	Err    error  // ErrBwrapMissing, ErrUserNamespaces or ErrArchUnsupported
	Detail string // what was found
	Fix    string // what to run or change
}

func (e *PreflightError) Error() string {
	s := "sandbox: " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.Fix != "" {
		s += "; fix: " + e.Fix
	}
	return s
}

// Unwrap returns the sentinel.
func (e *PreflightError) Unwrap() error { return e.Err }

// usernsMarkers are fragments of bwrap's messages when the kernel refuses
// a namespace (unprivileged user namespaces off, AppArmor restriction,
// user.max_user_namespaces at 0).
var usernsMarkers = []string{
	"setting up uid map",
	"setting up gid map",
	"creating new namespace",
	"no permissions to creating new namespace",
	"no permissions to create new namespace",
	"unprivileged_userns_clone",
	"failed rtm_newaddr",
	"loopback: failed",
	"max_user_namespaces",
}

// isUsernsFailure reports whether bwrap's error output is a refused
// namespace.
func isUsernsFailure(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, m := range usernsMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// networkMarkers are fragments of common tools' messages when a host name
// cannot be resolved or a connection cannot be made.
var networkMarkers = []string{
	"network is unreachable",
	"connection refused",
	"can't connect to remote host",
	"could not resolve",
	"couldn't resolve",
	"temporary failure in name resolution",
	"name or service not known",
	"no address associated with hostname",
	"no such host",
	"bad address",
	"unable to resolve",
	"failed to resolve",
	"name resolution",
	"dial tcp: lookup",
	"dial udp: lookup",
	"getaddrinfo",
	"eai_again",
	"enotfound",
}

// looksLikeNetwork reports whether a step's error output suggests it
// tried to use the network.
func looksLikeNetwork(stderr string) bool {
	s := strings.ToLower(stderr)
	for _, m := range networkMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
