package sandbox

import (
	"path"
	"sort"
	"strconv"
	"strings"
)

// statusFD is the descriptor number bwrap writes its JSON status records
// to (the first of exec.Cmd.ExtraFiles).
const statusFD = 3

// lifeFD is the read end of a pipe whose only write end pestle holds (the
// second of exec.Cmd.ExtraFiles). A watcher in the sandbox reads it and,
// at end of file, that is when pestle is gone however it died, kills every
// process of the sandbox. It closes the window bwrap's --die-with-parent
// leaves open while the sandbox starts.
const lifeFD = 4

// watcher starts the watcher outside the step's job table (a bare wait in
// the step does not wait for it) and closes, in the step, that pipe and
// the read end of bwrap's status pipe (descriptor 5, see Bwrap.exec),
// which is pestle's to read.
const watcher = "( ( exec 5<&-; read -r _ <&4; kill -9 -1 ) & )\nexec 4<&- 5<&-\n"

// Args returns the bwrap arguments (without the program name) that run cmd
// in a sandbox laid out by spec. It only looks at its inputs and at
// whether the caller is root. Run passes the spec as Start completed it
// (CacheDir dropped when missing, TmpDir filled in); with an empty TmpDir,
// Args gives the step a tmpfs /tmp of its own.
func (b *Bwrap) Args(spec Spec, cmd Command) []string {
	return b.args(spec, cmd, false)
}

// args builds the argument list; shell selects the interactive shell that
// follows a failed step instead of the step's script.
func (b *Bwrap) args(spec Spec, cmd Command, shell bool) []string {
	a := make([]string, 0, 96)
	a = append(a, "--bind", spec.Root, "/",
		"--proc", "/proc",
		// The sysctls and the SysRq trigger are host-wide and owned by
		// uid 0: a step running as root without capabilities could still
		// write them, so they are read-only (bwrap's own cover of them is
		// not applied when it runs as root).
		"--ro-bind", "/proc/sys", "/proc/sys",
		"--ro-bind-try", "/proc/sysrq-trigger", "/proc/sysrq-trigger",
		"--dev", "/dev")
	if spec.TmpDir != "" {
		a = append(a, "--bind", spec.TmpDir, "/tmp")
	} else {
		a = append(a, "--tmpfs", "/tmp")
	}
	a = append(a, "--ro-bind-try", "/sys", "/sys",
		"--bind", spec.Workspace, GuestWorkspace)
	if spec.CacheDir != "" {
		a = append(a, "--bind", spec.CacheDir, GuestCache)
	}
	for _, m := range spec.Mounts {
		op := "--bind"
		if m.ReadOnly {
			op = "--ro-bind"
		}
		a = append(a, op, m.Source, path.Clean(m.Dest))
	}
	if spec.Network {
		a = append(a, "--ro-bind-try", "/etc/resolv.conf", "/etc/resolv.conf")
	}
	a = append(a, "--unshare-pid", "--unshare-ipc", "--unshare-uts")
	if !spec.Network && len(spec.EnterNet) == 0 && spec.JoinNet == nil {
		a = append(a, "--unshare-net")
	}
	host := spec.Hostname
	if host == "" {
		host = DefaultHostname
	}
	a = append(a, "--hostname", host)
	if u, ok := b.user(spec); ok {
		a = append(a, "--unshare-user", "--uid", strconv.Itoa(u.UID), "--gid", strconv.Itoa(u.GID))
	}
	a = append(a, capArgs(spec)...)
	if _, ok := stepSeccomp(spec); ok {
		a = append(a, "--seccomp", strconv.Itoa(seccompFD))
	}
	a = append(a, "--die-with-parent")
	if !shell {
		// A new session keeps the step away from the caller's terminal
		// (no TIOCSTI); the interactive shell needs that terminal.
		a = append(a, "--new-session")
	}
	a = append(a, "--json-status-fd", strconv.Itoa(statusFD),
		"--chdir", GuestWorkspace,
		"--clearenv")
	for _, kv := range environ(spec, cmd) {
		a = append(a, "--setenv", kv[0], kv[1])
	}
	wd := workDir(cmd.WorkDir)
	if shell {
		// $1 is the failed script, kept as shell history; $2 the workdir.
		return append(a, Shell, "-c", interactiveScript, "sh", cmd.Script, wd)
	}
	return append(a, Shell, "-c", script(wd, cmd.Script, spec.Debug))
}

// user reports whether the sandbox needs a user namespace and as whom the
// steps run in it.
func (b *Bwrap) user(spec Spec) (User, bool) {
	if spec.RunAs != nil {
		u := *spec.RunAs
		if b.geteuid() == 0 && u.UID == 0 && u.GID == 0 {
			return u, false // already root: no namespace needed
		}
		return u, true
	}
	if b.geteuid() == 0 {
		return User{}, false
	}
	return BuildUser, true
}

// environ merges the sandbox environment, later layers winning: HOME,
// PATH and SOURCE_DATE_EPOCH, then the recipe's, then the step's. The
// result is sorted by name so the argument list is deterministic.
func environ(spec Spec, cmd Command) [][2]string {
	env := map[string]string{
		"HOME":              GuestWorkspace,
		"PATH":              DefaultPath,
		"SOURCE_DATE_EPOCH": strconv.FormatInt(spec.SourceDateEpoch, 10),
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	for k, v := range cmd.Env {
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, env[k]}
	}
	return out
}

// workDir resolves a step's working directory inside the sandbox.
func workDir(wd string) string {
	if wd == "" {
		return GuestWorkspace
	}
	if !path.IsAbs(wd) {
		wd = path.Join(GuestWorkspace, wd)
	}
	return path.Clean(wd)
}

// script wraps a step body: stop at the first error (and on a failing
// pipeline element where the shell supports it), trace in debug mode,
// create and enter the working directory, run the body, succeed if it
// ran to the end.
func script(wd, body string, debug bool) string {
	var s strings.Builder
	s.WriteString(watcher)
	s.WriteString("set -e\n")
	// No subshell or mkdir process unless needed: each is a fork (and
	// an exec) of the guest's shell. "command" keeps a shell without
	// pipefail going; the working dir is made only when it is missing.
	s.WriteString("command set -o pipefail 2>/dev/null || :\n")
	s.WriteString("cd -- " + quote(wd) + " 2>/dev/null || { mkdir -p -- " + quote(wd) + " && cd -- " + quote(wd) + "; }\n")
	if debug {
		s.WriteString("set -x\n")
	}
	s.WriteString(body)
	if body != "" && !strings.HasSuffix(body, "\n") {
		s.WriteString("\n")
	}
	s.WriteString("exit 0\n")
	return s.String()
}

// interactiveScript opens a shell after a failed step: the failed script
// goes into the shell's history file (on the sandbox's /tmp), then the
// shell starts in the step's working directory.
const interactiveScript = watcher + `printf '%s\n' "$1" > /tmp/.pestle_history
export HISTFILE=/tmp/.pestle_history
mkdir -p -- "$2" && cd -- "$2"
exec /bin/sh -i
`

// quote makes s a single shell word.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
