package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
)

// Paths inside the sandbox.
const (
	// GuestWorkspace is where Spec.Workspace appears; it is also HOME and
	// the default working directory of every step.
	GuestWorkspace = "/home/build"
	// GuestCache is where Spec.CacheDir appears when it exists.
	GuestCache = "/var/cache/melange"
	// DefaultPath is PATH inside the sandbox unless the recipe or the
	// step sets another.
	DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin"
	// DefaultHostname is the hostname inside the sandbox when
	// Spec.Hostname is empty. A fixed name keeps builds that record it
	// reproducible.
	DefaultHostname = "pestle"
	// Shell is the guest program that runs every step.
	Shell = "/bin/sh"
)

// Runner runs build steps in a sandbox: Start once with the layout, Run
// once per step, Close at the end.
type Runner interface {
	// Start checks spec and keeps it for the following Runs.
	Start(ctx context.Context, spec Spec) error
	// Run executes one step and returns when every process it started
	// is gone.
	Run(ctx context.Context, cmd Command) error
	// Close kills any step still running and forgets the spec. The
	// guest root, workspace and cache are left as they are.
	Close() error
}

// Spec is the layout of the sandbox, the same for every step of a build.
type Spec struct {
	// Root is the host directory that becomes "/" in the sandbox. It is
	// mounted read-write and must be a per-build copy owned by the caller.
	// It needs a /bin/sh.
	Root string
	// Overlay, when set, makes Root an overlay mount: Overlay.Lower is the
	// guest root as installed, never changed, and every change a step makes
	// lands in Overlay.Upper. The mount lives in a private mount namespace
	// of this runner only. It needs root (see CanOverlay); Start fails with
	// ErrOverlayUnsupported otherwise, and the caller copies the root
	// instead.
	Overlay *Overlay
	// Workspace is the host directory mounted at /home/build (created
	// when missing).
	Workspace string
	// WorkspaceOverlay, when set, makes Workspace the mount point of an
	// overlay for the time a step runs: WorkspaceOverlay.Lower (the
	// user's source dir) is never changed, and every change a step makes
	// lands in WorkspaceOverlay.Upper, which the caller reads and writes
	// between steps (nothing is mounted then). Like Overlay, it needs root
	// and lives in the runner's private mount namespace; Start fails with
	// ErrOverlayUnsupported when it cannot be mounted.
	WorkspaceOverlay *Overlay
	// CacheDir is mounted at /var/cache/melange, only when the
	// directory exists (its real path is mounted). Empty means none.
	CacheDir string
	// TmpDir is the host directory mounted at /tmp, shared by the steps
	// of a build as in melange (where /tmp is the guest root's). When
	// empty, Start creates a fresh one (mode 1777) and Close removes it.
	TmpDir string
	// Mounts are extra bind mounts, applied after the ones above.
	Mounts []Mount
	// Env is the recipe's environment (environment.environment plus
	// defaults). It overrides HOME, PATH and SOURCE_DATE_EPOCH; a step's
	// own Env overrides it.
	Env map[string]string
	// SourceDateEpoch is the value of SOURCE_DATE_EPOCH (seconds).
	SourceDateEpoch int64
	// Network shares the host's network with the sandbox (and its
	// /etc/resolv.conf). Off by default: the sandbox only has a loopback.
	Network bool
	// EnterNet, when set, is a command prefix that enters an existing
	// network namespace (see sandbox/netns): bwrap runs through it and
	// the steps share that namespace instead of getting a fresh one.
	// Ignored with Network.
	EnterNet []string
	// JoinNet, when set, is an open network namespace (netns.NS.Join)
	// that bwrap starts in: the runner joins it itself (setns, which
	// needs root), so no nsenter runs. When it cannot, it falls back to
	// EnterNet. Ignored with Network.
	JoinNet *os.File
	// RunAs is the user steps run as (environment.accounts.run-as).
	// Nil means root when the caller is root, uid/gid 1000 otherwise.
	RunAs *User
	// Hostname inside the sandbox; DefaultHostname when empty.
	Hostname string
	// CapAdd and CapDrop are Linux capabilities (capabilities.add and
	// .drop of a recipe), with or without the CAP_ prefix, any case.
	CapAdd, CapDrop []string
	// Cgroup, when set, is where every step starts (CPU and memory
	// limits, see NewCgroup). The caller closes it after the runner.
	Cgroup *Cgroup
	// Debug traces every shell command (set -x).
	Debug bool
}

// Overlay is the layers of an overlay guest root. Upper and Work must be
// empty directories (created when missing) on one filesystem.
type Overlay struct {
	Lower, Upper, Work string
}

// Mount is an extra bind mount into the sandbox.
type Mount struct {
	Source   string // host path, must exist
	Dest     string // absolute path in the sandbox
	ReadOnly bool
}

// User is a numeric identity inside the sandbox. A recipe's run-as names a
// user; the caller resolves it against the recipe's accounts (a missing
// gid falls back to the uid).
type User struct {
	UID, GID int
}

// BuildUser is uid/gid 1000, the `build` account every recipe gets; steps
// run as it when the caller is not root.
var BuildUser = User{UID: 1000, GID: 1000}

// Command is one step.
type Command struct {
	// Script is the shell body, run by /bin/sh -c after the preamble.
	Script string
	// WorkDir is created if missing and entered before Script runs.
	// Relative paths are relative to /home/build; empty means /home/build.
	WorkDir string
	// Env is the step's environment; it overrides Spec.Env.
	Env map[string]string
	// Stdout and Stderr receive the step's output as it comes; nil
	// discards it. A *LineWriter is flushed when the step ends.
	Stdout, Stderr io.Writer
	// Stdin feeds the step; nil means /dev/null. With Interactive only
	// the shell reads it (the step gets /dev/null); pass the terminal.
	Stdin io.Reader
	// Interactive drops into /bin/sh in the sandbox, in WorkDir with the
	// step's environment, when the step fails. The shell reads Stdin and
	// writes to Stdout and Stderr (a *LineWriter is bypassed for the
	// writer it wraps); the failed Script is in its history. Run returns
	// nil when the shell exits 0 and the step's *ExitError otherwise.
	Interactive bool
	// Timeout kills the step after this long; zero means no limit. The
	// interactive shell after a failure has none.
	Timeout time.Duration
}

// validate reports the first problem of a Spec, naming the field.
func (s *Spec) validate() error {
	if s.Root == "" || !path.IsAbs(s.Root) {
		return fmt.Errorf("sandbox: Spec.Root must be an absolute host path, got %q", s.Root)
	}
	if s.Workspace == "" || !path.IsAbs(s.Workspace) {
		return fmt.Errorf("sandbox: Spec.Workspace must be an absolute host path, got %q", s.Workspace)
	}
	if o := s.WorkspaceOverlay; o != nil && !(path.IsAbs(o.Lower) && path.IsAbs(o.Upper) && path.IsAbs(o.Work)) {
		return fmt.Errorf("sandbox: Spec.WorkspaceOverlay needs absolute host paths, got %+v", *o)
	}
	if s.CacheDir != "" && !path.IsAbs(s.CacheDir) {
		return fmt.Errorf("sandbox: Spec.CacheDir must be an absolute host path, got %q", s.CacheDir)
	}
	if s.TmpDir != "" && !path.IsAbs(s.TmpDir) {
		return fmt.Errorf("sandbox: Spec.TmpDir must be an absolute host path, got %q", s.TmpDir)
	}
	for i, m := range s.Mounts {
		if m.Source == "" || !path.IsAbs(m.Source) {
			return fmt.Errorf("sandbox: Spec.Mounts[%d].Source must be an absolute host path, got %q", i, m.Source)
		}
		if !path.IsAbs(m.Dest) || path.Clean(m.Dest) == "/" {
			return fmt.Errorf("sandbox: Spec.Mounts[%d].Dest must be an absolute path other than /, got %q", i, m.Dest)
		}
	}
	if err := validEnv("Spec.Env", s.Env); err != nil {
		return err
	}
	if s.RunAs != nil && (s.RunAs.UID < 0 || s.RunAs.GID < 0) {
		return fmt.Errorf("sandbox: Spec.RunAs must have a uid and gid >= 0, got %d:%d", s.RunAs.UID, s.RunAs.GID)
	}
	if strings.ContainsAny(s.Hostname, "\x00/ ") {
		return fmt.Errorf("sandbox: Spec.Hostname %q is not a host name", s.Hostname)
	}
	for _, c := range append(append([]string(nil), s.CapAdd...), s.CapDrop...) {
		if capName(c) == "" {
			return fmt.Errorf("sandbox: %q is not a capability name (want e.g. CAP_NET_ADMIN or net_admin)", c)
		}
	}
	for _, c := range s.CapAdd {
		if err := checkCapAdd(c, s.Network); err != nil {
			return err
		}
	}
	return nil
}

// validate reports the first problem of a Command.
func (c *Command) validate() error {
	if strings.ContainsRune(c.Script, 0) {
		return fmt.Errorf("sandbox: Command.Script contains a NUL byte")
	}
	if strings.ContainsRune(c.WorkDir, 0) {
		return fmt.Errorf("sandbox: Command.WorkDir contains a NUL byte")
	}
	if c.Timeout < 0 {
		return fmt.Errorf("sandbox: Command.Timeout is negative (%s)", c.Timeout)
	}
	if c.Interactive && c.Stdin == nil {
		return fmt.Errorf("sandbox: Command.Interactive needs a Stdin (the terminal)")
	}
	return validEnv("Command.Env", c.Env)
}

func validEnv(field string, env map[string]string) error {
	for k, v := range env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("sandbox: %s has an invalid variable name %q (empty, or with '=' or NUL)", field, k)
		}
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("sandbox: %s[%s] contains a NUL byte", field, k)
		}
	}
	return nil
}

// capName returns the canonical CAP_XXX form of a capability name, or ""
// when it is not one.
func capName(s string) string {
	u := strings.ToUpper(s)
	if u == "ALL" {
		return u
	}
	if !strings.HasPrefix(u, "CAP_") {
		u = "CAP_" + u
	}
	if len(u) == len("CAP_") {
		return ""
	}
	for _, r := range u {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return ""
		}
	}
	return u
}
