package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// escapes are steps that try to reach outside the sandbox. Each must fail
// (the runner reports an *ExitError), whoever runs the build. Commands sit
// on lines of their own so that set -e stops at the first refusal.
var escapes = []struct{ name, script string }{
	{"mount tmpfs", "mkdir -p /tmp/m\nmount -t tmpfs none /tmp/m"},
	{"mount in a new user namespace", "mkdir -p /tmp/m\nunshare -Ur mount -t tmpfs none /tmp/m"},
	{"a new user namespace", "unshare -U true"},
	{"a new user namespace with clone", "unshare -f -U true"},
	{"mknod block device and read it", "mknod /tmp/disk b 8 0\nhead -c 512 /tmp/disk | od | head -1"},
	{"mknod char device (mem)", "mknod /tmp/mem c 1 1\nhead -c 16 /tmp/mem | od"},
	{"raw socket", "ping -c 1 -W 1 127.0.0.1"},
	{"load a module", "head -c 8192 /dev/zero > /tmp/m.ko\ninsmod /tmp/m.ko"},
	{"write a sysctl", "v=$(cat /proc/sys/kernel/printk_ratelimit)\necho \"$v\" > /proc/sys/kernel/printk_ratelimit"},
	{"see a host process", "test -e /proc/$HOST_PID/root"},
	{"reach the host root through /proc/*/root", "for p in /proc/[0-9]*; do if test -e \"$p/root$HOST_MARKER\"; then exit 0; fi; done; exit 1"},
	{"write the lower layer named in /proc/self/mounts",
		`lower=$(sed -n 's/.*lowerdir=\([^,]*\).*/\1/p' /proc/self/mounts | head -1)
echo "lowerdir=$lower"
test -n "$lower"
for p in /proc/[0-9]*; do if touch "$p/root$lower/bin/poisoned" 2>/dev/null; then exit 0; fi; done
touch "$lower/bin/poisoned"`},
}

// TestStepsCannotEscape runs every escape in a real sandbox as the caller
// (root in CI, on an overlay guest root when it can) and as uid 1000 in a
// user namespace, and, when the caller is root, again in a child test run
// as nobody.
func TestStepsCannotEscape(t *testing.T) {
	if os.Getenv(helperEnv) == "escape-as-nobody" {
		t.Run("nobody", func(t *testing.T) { checkEscapes(t, nil) })
		return
	}
	needBwrap(t)
	t.Run("caller", func(t *testing.T) { checkEscapes(t, nil) })
	t.Run("run-as-1000", func(t *testing.T) { checkEscapes(t, &User{UID: 1000, GID: 1000}) })
	if os.Geteuid() != 0 {
		return
	}
	t.Run("as-nobody", func(t *testing.T) {
		dir, err := os.MkdirTemp("", "pestle-escape-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "sandbox.test")
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		c := exec.Command(bin, "-test.run=^TestStepsCannotEscape$", "-test.count=1", "-test.v")
		probe := filepath.Join(dir, "seccompprobe")
		if data, err := os.ReadFile(seccompProbe(t)); err != nil || os.WriteFile(probe, data, 0o755) != nil {
			t.Fatalf("copying the seccomp probe: %v", err)
		}
		c.Env = append(os.Environ(), helperEnv+"=escape-as-nobody", "TMPDIR="+dir, "HOME="+dir, probeEnv+"="+probe)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestStepsCannotEscape/nobody") {
			t.Fatalf("the child did not run the escapes:\n%s", out)
		}
	})
}

func checkEscapes(t *testing.T, runAs *User) {
	// A marker file only the host can see, to look for through /proc.
	marker, err := os.MkdirTemp("", "pestle-host-marker-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(marker) })
	var lower string
	b, spec := started(t, func(s *Spec) {
		s.RunAs = runAs
		withProbe(t, s.Root)
		if CanOverlay() {
			lower = s.Root
			scratch := t.TempDir()
			s.Root = filepath.Join(scratch, "merged")
			s.Overlay = &Overlay{Lower: lower, Upper: filepath.Join(scratch, "upper"), Work: filepath.Join(scratch, "work")}
		}
	})
	if lower == "" {
		lower = spec.Root
	}
	env := map[string]string{"HOST_PID": fmt.Sprint(os.Getpid()), "HOST_MARKER": marker}
	for _, e := range escapes {
		t.Run(e.name, func(t *testing.T) {
			out, errOut, err := run(t, b, Command{Script: e.script, Env: env})
			t.Logf("stdout: %s\nstderr: %s", out, errOut)
			if err == nil {
				t.Fatalf("the step succeeded: it escaped the sandbox")
			}
			asExit(t, err)
		})
	}
	if _, err := os.Lstat(filepath.Join(lower, "bin", "poisoned")); err == nil {
		t.Error("a step wrote bin/poisoned into the guest root's lower layer")
	}
	// The step holds neither the watcher's pipe nor bwrap's status nor
	// the seccomp filter's pipe, and it runs under the filter.
	mustRun(t, b, Command{Script: "test ! -e /proc/self/fd/4\ntest ! -e /proc/self/fd/5\ntest ! -e /proc/self/fd/6"})
	t.Run("seccomp", func(t *testing.T) { checkSeccomp(t, b) })
	// The build set still works: chown, mkfifo, setuid bits.
	mustRun(t, b, Command{Script: "touch /tmp/a && chown 123:456 /tmp/a && mkfifo /tmp/f && chmod 4755 /tmp/a && grep CapEff /proc/self/status"})
}

// TestStepCapabilities reads the effective set of a step: as root, only
// the build set (with the recipe's additions); never CAP_SYS_ADMIN.
func TestStepCapabilities(t *testing.T) {
	fixture.NeedRoot(t, "the capability set of a root step")
	b, _ := started(t, func(s *Spec) { s.CapAdd = []string{"net_bind_service"}; s.CapDrop = []string{"CAP_KILL"} })
	out := mustRun(t, b, Command{Script: "grep CapEff /proc/self/status"})
	// chown 0, dac_override 1, fowner 3, fsetid 4, setgid 6, setuid 7,
	// net_bind_service 10, setfcap 31; kill (5) dropped by the recipe.
	if want := "CapEff:\t00000000800004db\n"; out != want {
		t.Errorf("step capabilities: got %q, want %q", out, want)
	}
}

func TestRecipeCannotAddHostCapabilities(t *testing.T) {
	ws, root := t.TempDir(), t.TempDir()
	for _, c := range []struct {
		caps    []string
		network bool
		want    string
	}{
		{[]string{"CAP_SYS_ADMIN"}, false, "CAP_SYS_ADMIN could reach outside the sandbox"},
		{[]string{"mknod"}, false, "CAP_MKNOD could reach outside"},
		{[]string{"dac_read_search"}, false, "CAP_DAC_READ_SEARCH could reach outside"},
		{[]string{"net_admin"}, true, "CAP_NET_ADMIN acts on the host's network"},
	} {
		err := NewBwrap().Start(context.Background(), Spec{Root: root, Workspace: ws, CapAdd: c.caps, Network: c.network})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CapAdd %v: got %v, want %q", c.caps, err, c.want)
		}
	}
	spec := Spec{Root: root, Workspace: ws, CapAdd: []string{"net_admin", "sys_ptrace"}}
	if err := spec.validate(); err != nil {
		t.Errorf("net_admin without the host network and sys_ptrace are allowed: %v", err)
	}
}
