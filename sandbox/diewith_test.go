package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// killRounds is how many times each variant is killed.
var killRounds = 10

// TestSandboxDiesWithCaller kills -9 a process running a step (the test
// binary re-run as a helper), at a random moment of the step, and checks
// that no process of the sandbox outlives it: as the caller, as uid 1000
// in a user namespace and, when root, on an overlay guest root.
func TestSandboxDiesWithCaller(t *testing.T) {
	if mode := os.Getenv(helperEnv); strings.HasPrefix(mode, "die-with:") {
		dieWithHelper(t, strings.TrimPrefix(mode, "die-with:"))
		return
	}
	needBwrap(t)
	for _, variant := range []string{"caller", "run-as-1000", "overlay"} {
		if variant == "overlay" && !CanOverlay() {
			continue
		}
		t.Run(variant, func(t *testing.T) {
			for i := range killRounds {
				marker := strconv.Itoa(600000 + rand.IntN(300000))
				c := exec.Command(os.Args[0], "-test.run=^TestSandboxDiesWithCaller$", "-test.count=1")
				c.Env = append(os.Environ(), helperEnv+"=die-with:"+variant+":"+marker, "TMPDIR="+t.TempDir())
				out, err := c.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				c.Stderr = os.Stderr
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				if i%2 == 0 {
					// A random moment of the start: before, while or
					// after bwrap sets the sandbox up.
					time.Sleep(time.Duration(rand.IntN(150)) * time.Millisecond)
				} else {
					sc := bufio.NewScanner(out)
					ready := false
					for sc.Scan() {
						if sc.Text() == "ready" {
							ready = true
							break
						}
					}
					if !ready {
						c.Process.Kill()
						c.Wait()
						t.Fatalf("round %d: the helper never said ready", i)
					}
					// A random moment while the step runs.
					time.Sleep(time.Duration(rand.IntN(50)) * time.Millisecond)
				}
				c.Process.Kill()
				c.Wait()
				deadline := time.Now().Add(10 * time.Second)
				for {
					pids := processesWith(t, marker)
					if len(pids) == 0 {
						break
					}
					if time.Now().After(deadline) {
						for _, p := range pids {
							st, _ := os.ReadFile("/proc/" + p + "/status")
							cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
							t.Logf("left: %s %q\n%s", p, cmd, st)
							if n, err := strconv.Atoi(p); err == nil {
								syscall.Kill(n, syscall.SIGKILL)
							}
						}
						t.Fatalf("round %d: sandbox processes outlived their caller: %v", i, pids)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// dieWithHelper runs a step that starts two sleeps named by the marker,
// says ready, and waits to be killed.
func dieWithHelper(t *testing.T, arg string) {
	variant, marker, _ := strings.Cut(arg, ":")
	b, _ := started(t, func(s *Spec) {
		switch variant {
		case "run-as-1000":
			s.RunAs = &User{UID: 1000, GID: 1000}
		case "overlay":
			lower := s.Root
			scratch := t.TempDir()
			s.Root = filepath.Join(scratch, "merged")
			s.Overlay = &Overlay{Lower: lower, Upper: filepath.Join(scratch, "upper"), Work: filepath.Join(scratch, "work")}
		}
	})
	err := b.Run(context.Background(), Command{
		Script: fmt.Sprintf("sleep %[1]s &\n(sleep %[1]s) &\necho ready\nwait\n", marker),
		Stdout: os.Stdout,
	})
	t.Fatalf("the step ended: %v", err)
}
