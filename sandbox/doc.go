// Package sandbox runs build steps inside a bubblewrap (bwrap) sandbox.
//
// A Runner has three methods: Start fixes the sandbox layout (a Spec: guest
// root, workspace, cache, extra mounts, environment, network, user), Run
// executes one step (a Command: a shell script, its working directory and
// environment, where its output goes) as a separate `/bin/sh -c` inside a
// fresh sandbox, and Close ends the runner, killing any step still running.
// Bwrap is the Runner that calls the external `bwrap` binary; Args exposes
// the exact argument list it passes, so it can be checked without running
// anything.
//
// Layout inside the sandbox:
//
//	/                   Spec.Root, bound read-write
//	/home/build         Spec.Workspace, read-write; HOME and the default workdir
//	/var/cache/melange  Spec.CacheDir, only when that directory exists
//	/proc, /dev         fresh (procfs of the new PID namespace, minimal /dev)
//	/tmp                Spec.TmpDir: fresh for each build, shared by its steps
//	/sys                the host's, read-only
//
// The guest root is mounted read-write, the way melange does it: steps may
// write anywhere in it (ldconfig caches, tools that install into /usr).
// It must therefore be a per-build copy that the caller owns and throws
// away, never a shared or cached tree. bwrap also creates any missing mount
// points (home/build, proc, dev, tmp, sys, var/cache/melange) in it.
//
// Isolation: new PID, IPC, UTS and network namespaces (the network is shared
// with the host only when Spec.Network is set, and with a namespace of the
// caller's, entered through Spec.EnterNet, when that is set), a new session, the host
// environment cleared, and the sandbox dies with its parent. As root the
// steps run as root; otherwise, or when Spec.RunAs is set, they run in a
// user namespace as uid/gid 1000 (or RunAs).
//
// Every step runs with `set -e` (and `set -x` when Spec.Debug is set),
// `pipefail` where the guest shell knows it, creates and enters its working
// directory, then runs its script. A step that exits non-zero returns an
// *ExitError; bwrap failing to build the sandbox returns a *SetupError; a
// step killed by its Timeout returns an error matching ErrTimeout. When the
// context is cancelled or the Timeout hits, the whole sandbox is killed
// (every process in it) before Run returns.
//
// Preflight checks the host before a build: bwrap installed
// (ErrBwrapMissing), user namespaces allowed (ErrUserNamespaces) and the
// target architecture runnable natively or through binfmt_misc
// (ErrArchUnsupported). Each error carries the fix in its message.
//
// PrefixWriter turns a stream into whole lines with a prefix, safe for
// concurrent use, for labelling step output.
//
// The package is silent: it logs to a *slog.Logger given with WithLogger
// (each bwrap command line at debug level, a failing guest ldconfig at
// warn level) and reports everything else as errors.
package sandbox
