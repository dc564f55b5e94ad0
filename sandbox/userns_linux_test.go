package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestUserNamespacesRefused runs Preflight and a step for real on a host
// that refuses user namespaces: the test binary re-runs itself in a user
// namespace whose user.max_user_namespaces is 0 (a per-namespace limit,
// so the host is untouched).
func TestUserNamespacesRefused(t *testing.T) {
	if os.Getenv(helperEnv) == "userns-refused" {
		usernsRefusedHelper()
		return
	}
	needBwrap(t)
	c := exec.Command(os.Args[0], "-test.run=^TestUserNamespacesRefused$", "-test.count=1")
	c.Env = append(os.Environ(), helperEnv+"=userns-refused")
	c.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}},
	}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	t.Logf("helper output:\n%s", out)
	for _, want := range []string{
		"preflight: userns=true fix=sysctl -w user.max_user_namespaces=15000",
		"run-as 1000: userns=true",
		"default: <nil>",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("helper output lacks %q:\n%s", want, out)
		}
	}
}

const helperEnv = "PESTLE_SANDBOX_TEST_HELPER"

// usernsRefusedHelper runs inside the namespace made by
// TestUserNamespacesRefused and prints what it saw.
func usernsRefusedHelper() {
	if err := os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0\n"), 0o644); err != nil {
		fmt.Println("cannot lower max_user_namespaces:", err)
		os.Exit(1)
	}
	err := Preflight(context.Background(), "")
	var pe *PreflightError
	if errors.As(err, &pe) {
		fmt.Printf("preflight: userns=%v fix=%s\n", errors.Is(err, ErrUserNamespaces), pe.Fix)
	} else {
		fmt.Printf("preflight: %v\n", err)
	}
	root, _ := os.MkdirTemp("", "pestle-helper-")
	defer os.RemoveAll(root)
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	data, _ := os.ReadFile("/bin/busybox")
	os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755)
	os.Symlink("busybox", filepath.Join(root, "bin", "sh"))
	os.Symlink("busybox", filepath.Join(root, "bin", "true"))
	for _, c := range []struct {
		name  string
		runAs *User
	}{{"default", nil}, {"run-as 1000", &BuildUser}} {
		b := NewBwrap()
		if err := b.Start(context.Background(), Spec{Root: root, Workspace: filepath.Join(root, "ws"), RunAs: c.runAs}); err != nil {
			fmt.Printf("%s: start: %v\n", c.name, err)
			continue
		}
		err := b.Run(context.Background(), Command{Script: "true"})
		b.Close()
		if err == nil {
			fmt.Printf("%s: <nil>\n", c.name)
		} else {
			fmt.Printf("%s: userns=%v %v\n", c.name, errors.Is(err, ErrUserNamespaces), err)
		}
	}
}
