package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

const defaultProc = "/proc"

// The tables below are switch statements rather than map literals: a map
// literal is built by code at start-up, which every pestle process (a
// compile, a version) would pay for.

// apkArchOfGo returns the apk name of a Go architecture, or "".
func apkArchOfGo(goarch string) string {
	switch goarch {
	case "amd64":
		return "x86_64"
	case "arm64":
		return "aarch64"
	case "386":
		return "x86"
	case "arm":
		return "armv7"
	case "ppc64le", "s390x", "riscv64":
		return goarch
	case "loong64":
		return "loongarch64"
	}
	return ""
}

// archAlias returns the apk architecture name of every accepted spelling
// (lower case), or "".
func archAlias(arch string) string {
	switch arch {
	case "x86_64", "amd64":
		return "x86_64"
	case "aarch64", "arm64":
		return "aarch64"
	case "x86", "386", "i386", "i686":
		return "x86"
	case "armv7", "arm":
		return "armv7"
	case "armhf", "ppc64le", "s390x", "riscv64":
		return arch
	case "loongarch64", "loong64":
		return "loongarch64"
	}
	return ""
}

// qemuName returns the binfmt_misc entry (qemu-user naming) that runs an
// arch, or "".
func qemuName(arch string) string {
	switch arch {
	case "x86_64", "aarch64", "ppc64le", "s390x", "riscv64", "loongarch64":
		return "qemu-" + arch
	case "x86":
		return "qemu-i386"
	case "armv7", "armhf":
		return "qemu-arm"
	}
	return ""
}

// nativeAlso lists the archs a host CPU runs besides its own (32-bit
// compatibility modes).
func nativeAlso(host string) []string {
	switch host {
	case "x86_64":
		return []string{"x86"}
	case "aarch64":
		return []string{"armv7", "armhf"}
	}
	return nil
}

// HostArch returns the apk name of the architecture pestle runs on.
func HostArch() string {
	if a := apkArchOfGo(runtime.GOARCH); a != "" {
		return a
	}
	return runtime.GOARCH
}

// CanonicalArch returns the apk name of an architecture given as an apk or
// Go name ("amd64" → "x86_64"), or "" when it is unknown.
func CanonicalArch(arch string) string {
	return archAlias(strings.ToLower(arch))
}

// Preflight checks this host with the default bwrap; see (*Bwrap).Preflight.
func Preflight(ctx context.Context, arch string) error {
	return NewBwrap().Preflight(ctx, arch)
}

// Preflight checks, in this order, that bwrap is installed, that it can
// create the namespaces a sandbox uses (by running a real one), and that
// programs of arch (the host's when empty) can run here. The error is a
// *PreflightError wrapping ErrBwrapMissing, ErrUserNamespaces or
// ErrArchUnsupported, with the fix.
func (b *Bwrap) Preflight(ctx context.Context, arch string) error {
	bin, err := exec.LookPath(b.binary)
	if err != nil {
		return bwrapMissing(b.binary)
	}
	if err := b.probe(ctx, bin); err != nil {
		return err
	}
	return b.checkArch(arch)
}

// QuickCheck is Preflight without the probe sandbox: bwrap is installed
// and arch can run here. It costs no process, so a build can call it every
// time; when a step's sandbox then cannot be set up (a *SetupError),
// Preflight tells why and how to fix it.
func (b *Bwrap) QuickCheck(arch string) error {
	if _, err := exec.LookPath(b.binary); err != nil {
		return bwrapMissing(b.binary)
	}
	return b.checkArch(arch)
}

func bwrapMissing(name string) error {
	return &PreflightError{
		Err:    ErrBwrapMissing,
		Detail: fmt.Sprintf("%q is not in PATH", name),
		Fix:    "install bubblewrap: apt-get install bubblewrap (Debian, Ubuntu) | apk add bubblewrap (Alpine, Wolfi) | dnf install bubblewrap (Fedora, RHEL)",
	}
}

// probe runs `true` from the host's root in a sandbox with every namespace
// a step uses, including a user namespace, and reads bwrap's complaint.
func (b *Bwrap) probe(ctx context.Context, bin string) error {
	truePath, err := exec.LookPath("true")
	if err != nil {
		truePath = "/bin/true"
	}
	var stderr bytes.Buffer
	c := exec.CommandContext(ctx, bin,
		"--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
		"--unshare-user", "--uid", "1000", "--gid", "1000",
		"--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
		"--die-with-parent", "--new-session", "--clearenv",
		truePath)
	c.Stderr = &stderr
	err = c.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	msg := lastLines(stderr.String(), 3)
	if msg == "" {
		msg = err.Error()
	}
	if isUsernsFailure(stderr.String()) {
		return &PreflightError{Err: ErrUserNamespaces, Detail: msg, Fix: usernsFix(b.procDir)}
	}
	return fmt.Errorf("sandbox: bwrap cannot start a sandbox on this host: %s", msg)
}

// usernsFix names the kernel setting that blocks user namespaces, reading
// the sysctls under procDir; when none is visibly at fault it lists them
// all.
func usernsFix(procDir string) string {
	read := func(name string) (string, bool) {
		b, err := os.ReadFile(filepath.Join(procDir, "sys", filepath.FromSlash(name)))
		return strings.TrimSpace(string(b)), err == nil
	}
	var fixes []string
	if v, ok := read("kernel/apparmor_restrict_unprivileged_userns"); ok && v != "0" {
		fixes = append(fixes, "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile allowing userns for bwrap)")
	}
	if v, ok := read("kernel/unprivileged_userns_clone"); ok && v == "0" {
		fixes = append(fixes, "sysctl -w kernel.unprivileged_userns_clone=1")
	}
	if v, ok := read("user/max_user_namespaces"); ok && v == "0" {
		fixes = append(fixes, "sysctl -w user.max_user_namespaces=15000")
	}
	if len(fixes) == 0 {
		fixes = []string{
			"sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 23.10+)",
			"sysctl -w kernel.unprivileged_userns_clone=1 (older Debian)",
			"sysctl -w user.max_user_namespaces=15000",
			"or run as root",
		}
	}
	return strings.Join(fixes, " | ")
}

// checkArch reports whether programs of arch run here: natively, or
// through a qemu-<arch> binfmt_misc entry that is enabled and has the F
// flag (the interpreter is opened when registered, so it also works
// inside the sandbox, where the host's qemu binary is not visible).
func (b *Bwrap) checkArch(arch string) error {
	host := b.hostArch
	want := host
	if arch != "" {
		want = CanonicalArch(arch)
		if want == "" {
			return &PreflightError{Err: ErrArchUnsupported,
				Detail: fmt.Sprintf("unknown architecture %q", arch),
				Fix:    "use one of x86_64 (amd64), aarch64 (arm64), x86, armv7, armhf, ppc64le, s390x, riscv64, loongarch64"}
		}
	}
	if want == host {
		return nil
	}
	for _, a := range nativeAlso(host) {
		if a == want {
			return nil
		}
	}
	qemu := qemuName(want)
	dir := filepath.Join(b.procDir, "sys", "fs", "binfmt_misc")
	data, err := os.ReadFile(filepath.Join(dir, qemu))
	install := fmt.Sprintf("register %s with binfmt_misc and the F flag: apt-get install qemu-user-static (Debian, Ubuntu) | dnf install qemu-user-static (Fedora) | docker run --privileged --rm tonistiigi/binfmt --install %s", qemu, want)
	if err != nil {
		detail := fmt.Sprintf("the host is %s and %s has no binfmt_misc entry %s", host, want, filepath.Join(dir, qemu))
		if _, serr := os.Stat(filepath.Join(dir, "register")); serr != nil {
			detail = fmt.Sprintf("the host is %s and binfmt_misc is not mounted at %s", host, dir)
			install = "mount -t binfmt_misc binfmt_misc " + dir + ", then " + install
		}
		return &PreflightError{Err: ErrArchUnsupported, Detail: detail, Fix: install}
	}
	enabled, flags := parseBinfmt(string(data))
	if !enabled {
		return &PreflightError{Err: ErrArchUnsupported,
			Detail: fmt.Sprintf("binfmt_misc entry %s is disabled", qemu),
			Fix:    fmt.Sprintf("echo 1 > %s", filepath.Join(dir, qemu))}
	}
	if !strings.Contains(flags, "F") {
		return &PreflightError{Err: ErrArchUnsupported,
			Detail: fmt.Sprintf("binfmt_misc entry %s lacks the F (fix binary) flag, so its interpreter is not found inside the sandbox", qemu),
			Fix:    install}
	}
	if st, err := os.ReadFile(filepath.Join(dir, "status")); err == nil && strings.TrimSpace(string(st)) == "disabled" {
		return &PreflightError{Err: ErrArchUnsupported,
			Detail: "binfmt_misc is disabled",
			Fix:    fmt.Sprintf("echo 1 > %s", filepath.Join(dir, "status"))}
	}
	return nil
}

// parseBinfmt reads a binfmt_misc entry: its first line is "enabled" or
// "disabled", and a "flags: " line lists its flags.
func parseBinfmt(s string) (enabled bool, flags string) {
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if i == 0 {
			enabled = line == "enabled"
		}
		if f, ok := strings.CutPrefix(line, "flags:"); ok {
			flags = strings.TrimSpace(f)
		}
	}
	return enabled, flags
}
