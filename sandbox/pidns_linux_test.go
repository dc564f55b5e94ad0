package sandbox

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// TestOwnPIDNSEndsOrphans starts, as bwrap is started, a program that
// leaves a process behind and exits, as bwrap does when it is killed
// before releasing its child. In a PID namespace of its own (root), the
// process left behind is gone as soon as the program's exit is reaped.
func TestOwnPIDNSEndsOrphans(t *testing.T) {
	fixture.NeedRoot(t, "making a PID namespace")
	marker := fmt.Sprintf("%d.%06d", 1000+rand.IntN(1000), rand.IntN(1000000))
	c := exec.Command("/bin/sh", "-c", "sleep "+marker+" </dev/null >/dev/null 2>&1 & exit 0")
	c.SysProcAttr = sysProcAttr(-1)
	if !ownPIDNS(c.SysProcAttr, true) {
		t.Fatal("ownPIDNS made no namespace for root")
	}
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if pids := processesWith(t, marker); len(pids) > 0 {
		for _, p := range pids {
			if pid, err := strconv.Atoi(p); err == nil {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		t.Fatalf("the process left behind still runs: %v", pids)
	}
	if ownPIDNS(&syscall.SysProcAttr{}, false) {
		t.Error("ownPIDNS made a namespace for an unprivileged caller")
	}
}
