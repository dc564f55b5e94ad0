package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBwrap writes an executable shell script standing in for bwrap.
func fakeBwrap(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "bwrap")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeProc builds a procfs-like tree from path → content.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPreflightBwrapMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := Preflight(context.Background(), "")
	if !errors.Is(err, ErrBwrapMissing) {
		t.Fatalf("want ErrBwrapMissing, got %v", err)
	}
	for _, fix := range []string{"apt-get install bubblewrap", "apk add bubblewrap", "dnf install bubblewrap"} {
		if !strings.Contains(err.Error(), fix) {
			t.Errorf("message lacks %q: %v", fix, err)
		}
	}
}

func TestPreflightUserNamespaces(t *testing.T) {
	cases := []struct {
		name    string
		stderr  string
		proc    map[string]string
		wantFix []string
	}{
		{
			name:    "apparmor",
			stderr:  "bwrap: setting up uid map: Permission denied",
			proc:    map[string]string{"sys/kernel/apparmor_restrict_unprivileged_userns": "1\n", "sys/user/max_user_namespaces": "63000\n"},
			wantFix: []string{"kernel.apparmor_restrict_unprivileged_userns=0"},
		},
		{
			name:    "debian clone sysctl",
			stderr:  "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.",
			proc:    map[string]string{"sys/kernel/unprivileged_userns_clone": "0\n"},
			wantFix: []string{"kernel.unprivileged_userns_clone=1"},
		},
		{
			name:    "max namespaces",
			stderr:  "bwrap: Creating new namespace failed: No space left on device",
			proc:    map[string]string{"sys/user/max_user_namespaces": "0\n"},
			wantFix: []string{"user.max_user_namespaces"},
		},
		{
			name:    "unknown cause lists every hint",
			stderr:  "bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted",
			wantFix: []string{"apparmor_restrict_unprivileged_userns=0", "unprivileged_userns_clone=1", "max_user_namespaces"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewBwrap(WithBinary(fakeBwrap(t, "echo '"+c.stderr+"' >&2; exit 1")))
			b.procDir = fakeProc(t, c.proc)
			err := b.Preflight(context.Background(), "")
			var pe *PreflightError
			if !errors.As(err, &pe) || !errors.Is(err, ErrUserNamespaces) {
				t.Fatalf("want ErrUserNamespaces, got %v", err)
			}
			if pe.Detail != c.stderr {
				t.Errorf("detail %q, want bwrap's message", pe.Detail)
			}
			for _, f := range c.wantFix {
				if !strings.Contains(pe.Fix, f) {
					t.Errorf("fix %q lacks %q", pe.Fix, f)
				}
			}
		})
	}
}

func TestPreflightOtherProbeFailure(t *testing.T) {
	b := NewBwrap(WithBinary(fakeBwrap(t, "echo 'bwrap: Unknown option --unshare-ipc' >&2; exit 1")))
	err := b.Preflight(context.Background(), "")
	if err == nil || errors.Is(err, ErrUserNamespaces) || !strings.Contains(err.Error(), "Unknown option") {
		t.Fatalf("got %v", err)
	}
}

func TestPreflightProbeArgs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "args")
	b := NewBwrap(WithBinary(fakeBwrap(t, `printf '%s\n' "$@" > `+out)))
	if err := b.Preflight(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	for _, want := range []string{"--unshare-user", "--unshare-net", "--unshare-pid"} {
		if !strings.Contains(string(got), want+"\n") {
			t.Errorf("probe does not try %s: %q", want, got)
		}
	}
}

func TestSetupErrorUserNamespaces(t *testing.T) {
	e := newSetupError(1, "bwrap: setting up uid map: Permission denied\n", fakeProc(t, map[string]string{"sys/kernel/unprivileged_userns_clone": "0"}))
	if !errors.Is(e, ErrUserNamespaces) || !strings.Contains(e.Error(), "unprivileged_userns_clone=1") {
		t.Errorf("got %v", e)
	}
	e = newSetupError(1, "bwrap: Can't find source path /x: No such file or directory\n", "/proc")
	if errors.Is(e, ErrUserNamespaces) || e.Fix != "" {
		t.Errorf("got %v", e)
	}
	// What a step wrote may be in there: no escape sequence passes.
	e = newSetupError(1, "\x1b]0;title\x07\x1b[2Jbwrap: failed\n", "/proc")
	if strings.ContainsRune(e.Error(), 0x1b) || !strings.Contains(e.Error(), "^[]0;title^G^[[2Jbwrap: failed") {
		t.Errorf("got %q", e.Error())
	}
}

func TestCheckArch(t *testing.T) {
	const qemuF = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: POCF\noffset 0\nmagic 7f454c460201010000000000000000000200b700\n"
	const qemuNoF = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: OC\noffset 0\n"
	mounted := map[string]string{"sys/fs/binfmt_misc/register": "", "sys/fs/binfmt_misc/status": "enabled\n"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range mounted {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name, host, arch string
		proc             map[string]string
		want             string // "" means runnable; else a fragment of the error
	}{
		{"host arch", "x86_64", "", nil, ""},
		{"same arch, go name", "x86_64", "amd64", nil, ""},
		{"32-bit on 64-bit", "x86_64", "x86", nil, ""},
		{"arm32 on arm64", "aarch64", "armv7", nil, ""},
		{"unknown arch", "x86_64", "mips", nil, "unknown architecture"},
		{"binfmt not mounted", "x86_64", "aarch64", nil, "binfmt_misc is not mounted"},
		{"no qemu entry", "x86_64", "arm64", mounted, "no binfmt_misc entry"},
		{"qemu with F", "x86_64", "aarch64", with(map[string]string{"sys/fs/binfmt_misc/qemu-aarch64": qemuF}), ""},
		{"qemu without F", "x86_64", "aarch64", with(map[string]string{"sys/fs/binfmt_misc/qemu-aarch64": qemuNoF}), "F (fix binary) flag"},
		{"qemu disabled", "x86_64", "aarch64", with(map[string]string{"sys/fs/binfmt_misc/qemu-aarch64": strings.Replace(qemuF, "enabled", "disabled", 1)}), "is disabled"},
		{"binfmt off", "x86_64", "aarch64", with(map[string]string{"sys/fs/binfmt_misc/qemu-aarch64": qemuF, "sys/fs/binfmt_misc/status": "disabled\n"}), "binfmt_misc is disabled"},
		{"x86_64 on arm64", "aarch64", "x86_64", nil, "qemu-x86_64"},
	}
	for _, c := range cases {
		b := NewBwrap()
		b.hostArch = c.host
		b.procDir = fakeProc(t, c.proc)
		err := b.checkArch(c.arch)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		var pe *PreflightError
		if !errors.As(err, &pe) || !errors.Is(err, ErrArchUnsupported) || !strings.Contains(err.Error(), c.want) || pe.Fix == "" {
			t.Errorf("%s: got %v, want ErrArchUnsupported mentioning %q with a fix", c.name, err, c.want)
		}
	}
}

func TestCanonicalArch(t *testing.T) {
	for in, want := range map[string]string{
		"amd64": "x86_64", "X86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64",
		"386": "x86", "armhf": "armhf", "riscv64": "riscv64", "sparc": "",
	} {
		if got := CanonicalArch(in); got != want {
			t.Errorf("CanonicalArch(%q) = %q, want %q", in, got, want)
		}
	}
	if CanonicalArch(HostArch()) == "" {
		t.Errorf("HostArch %q is not canonical", HostArch())
	}
}

// TestPreflightReal runs the real checks on this host.
func TestPreflightReal(t *testing.T) {
	needBwrap(t)
	if err := Preflight(context.Background(), HostArch()); err != nil {
		t.Fatal(err)
	}
}

func TestQuickCheck(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if err := NewBwrap().QuickCheck(""); !errors.Is(err, ErrBwrapMissing) {
		t.Errorf("bwrap missing: %v, want ErrBwrapMissing", err)
	}
	b := NewBwrap(WithBinary("/bin/sh")) // any program: QuickCheck runs nothing
	b.hostArch = "x86_64"
	b.procDir = t.TempDir() // no binfmt_misc entries
	if err := b.QuickCheck("x86_64"); err != nil {
		t.Errorf("native arch: %v", err)
	}
	if err := b.QuickCheck("s390x"); !errors.Is(err, ErrArchUnsupported) {
		t.Errorf("foreign arch without binfmt: %v, want ErrArchUnsupported", err)
	}
}
