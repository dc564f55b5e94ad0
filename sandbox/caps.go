package sandbox

import (
	"fmt"
	"slices"
)

// buildCaps are the only capabilities a step starts with. bwrap is told
// --cap-drop ALL first, then each of these is added back (inside the user
// namespace when there is one; as root on the host otherwise, where they
// only act on what the sandbox can see: its root, workspace, /tmp and
// cache). Each is here because ordinary builds fail without it:
var buildCaps = []string{
	// `chown`/`install -o` of files in the destdir (packages ship
	// files owned by accounts other than the builder).
	"CAP_CHOWN",
	// root writing into directories owned by the build user (the
	// workspace) and reading files whose mode denies it (make install of
	// 0444 files, then strip).
	"CAP_DAC_OVERRIDE",
	// chmod/utime/setxattr of files root does not own (the workspace is
	// owned by the build user).
	"CAP_FOWNER",
	// keeping setuid/setgid bits when root writes or chowns such a file
	// (su, ping, … are packaged with them).
	"CAP_FSETID",
	// test suites and `su`/`setpriv` that drop to another account.
	"CAP_SETUID", "CAP_SETGID",
	// `setcap` on a packaged binary (the file capability is only data
	// here: the bounding set keeps it from granting anything in the
	// sandbox).
	"CAP_SETFCAP",
	// signalling a test daemon that runs as another account.
	"CAP_KILL",
}

// recipeCaps are the capabilities a recipe may add with capabilities.add.
// None of them reaches outside the sandbox's namespaces. Every other one
// (CAP_SYS_ADMIN, CAP_MKNOD, CAP_SYS_MODULE, CAP_DAC_READ_SEARCH,
// CAP_SYS_RAWIO, …) could, and is refused.
var recipeCaps = []string{
	"CAP_NET_BIND_SERVICE", // a test server on port 80 or 443
	"CAP_SYS_CHROOT",       // chroot into a tree the build made
	"CAP_AUDIT_WRITE",      // login tools that log to audit
	"CAP_SETPCAP",          // tools that drop their own capabilities
	"CAP_IPC_LOCK",         // mlock in crypto test suites
	"CAP_SYS_PTRACE",       // gdb/strace tests: the PID namespace only holds the build's processes
	"CAP_SYS_NICE",         // scheduler tests
}

// privateNetCaps may be added only when the sandbox has its own network
// namespace, where they touch nothing of the host's.
var privateNetCaps = []string{"CAP_NET_ADMIN", "CAP_NET_RAW"}

// checkCapAdd refuses a capability a recipe may not add.
func checkCapAdd(c string, network bool) error {
	n := capName(c)
	switch {
	case slices.Contains(buildCaps, n), slices.Contains(recipeCaps, n):
		return nil
	case slices.Contains(privateNetCaps, n) && !network:
		return nil
	case slices.Contains(privateNetCaps, n):
		return fmt.Errorf("sandbox: capability %s acts on the host's network, which this sandbox shares: turn the network off for this build (it then only affects the sandbox's own) or drop it from capabilities.add", n)
	}
	return fmt.Errorf("sandbox: capability %s could reach outside the sandbox (mounts, devices, kernel or host files); pestle never grants it: remove it from capabilities.add", n)
}

// capArgs is the capability part of a bwrap command line, applied in
// order: drop every capability, add back the build set and the recipe's
// additions, then apply the recipe's drops.
func capArgs(spec Spec) []string {
	a := []string{"--cap-drop", "ALL"}
	for _, c := range buildCaps {
		a = append(a, "--cap-add", c)
	}
	for _, c := range spec.CapAdd {
		if n := capName(c); !slices.Contains(buildCaps, n) {
			a = append(a, "--cap-add", n)
		}
	}
	for _, c := range spec.CapDrop {
		a = append(a, "--cap-drop", capName(c))
	}
	return a
}
