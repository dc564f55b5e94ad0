package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// probeEnv names a seccompprobe binary already built (the run as nobody
// gets its parent's, it could not build one).
const probeEnv = "PESTLE_SECCOMP_PROBE"

var (
	probeOnce sync.Once
	probePath string
	probeErr  error
	probeOut  []byte
)

// TestMain removes the probe built for the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if probePath != "" {
		os.RemoveAll(filepath.Dir(probePath))
	}
	os.Exit(code)
}

// seccompProbe returns a static build of testdata/seccompprobe.
func seccompProbe(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(probeEnv); p != "" {
		return p
	}
	probeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pestle-probe-")
		if err != nil {
			probeErr = err
			return
		}
		probePath = filepath.Join(dir, "seccompprobe")
		c := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", probePath, "./testdata/seccompprobe")
		c.Env = append(os.Environ(), "CGO_ENABLED=0")
		probeOut, probeErr = c.CombinedOutput()
	})
	if probeErr != nil {
		t.Fatalf("building testdata/seccompprobe: %v\n%s", probeErr, probeOut)
	}
	return probePath
}

// withProbe copies the probe into a guest root's /bin.
func withProbe(t testing.TB, root string) {
	t.Helper()
	data, err := os.ReadFile(seccompProbe(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "bin", "seccompprobe"), data, 0o755); err != nil {
		t.Fatal(err)
	}
}

// probeCalls are the calls the probe makes in a step and what the filter
// answers (without it: ESRCH, ok, EINVAL, EINVAL, ok; EPERM for mount).
const (
	probeCalls = "getpid ptrace process_vm_readv unshare-user clone3 keyctl mount"
	probeWant  = "getpid=ok\nptrace=EPERM\nprocess_vm_readv=EPERM\nunshare-user=EPERM\nclone3=ENOSYS\nkeyctl=EPERM\nmount=EPERM\n"
)

// checkSeccomp runs the probe in a step of b and checks the step runs
// under one seccomp filter.
func checkSeccomp(t *testing.T, b *Bwrap) {
	t.Helper()
	if _, ok := seccompTable(runtime.GOARCH); !ok {
		fixture.Need(t, "a seccomp filter for "+runtime.GOARCH, errors.New("pestle has none for this architecture"))
	}
	if got := mustRun(t, b, Command{Script: "seccompprobe " + probeCalls}); got != probeWant {
		t.Errorf("system calls in a step:\n%s\nwant:\n%s", got, probeWant)
	}
	got := mustRun(t, b, Command{Script: "grep -E '^Seccomp(_filters)?:' /proc/self/status"})
	if !strings.Contains(got, "Seccomp:\t2\n") || !strings.Contains(got, "Seccomp_filters:\t1\n") {
		t.Errorf("the step is not under one seccomp filter:\n%s", got)
	}
}

// TestSeccompPtraceCapability: a recipe that adds CAP_SYS_PTRACE gets
// ptrace and process_vm_* back, and nothing else of the filter.
func TestSeccompPtraceCapability(t *testing.T) {
	if _, ok := seccompTable(runtime.GOARCH); !ok {
		fixture.Need(t, "a seccomp filter for "+runtime.GOARCH, errors.New("pestle has none for this architecture"))
	}
	b, _ := started(t, func(s *Spec) {
		withProbe(t, s.Root)
		s.CapAdd = []string{"sys_ptrace"}
	})
	got := mustRun(t, b, Command{Script: "seccompprobe ptrace process_vm_readv unshare-user clone3 keyctl"})
	want := "ptrace=ESRCH\nprocess_vm_readv=ok\nunshare-user=EPERM\nclone3=ENOSYS\nkeyctl=EPERM\n"
	if got != want {
		t.Errorf("with CAP_SYS_PTRACE:\n%s\nwant:\n%s", got, want)
	}
}
