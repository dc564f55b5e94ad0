package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

const signalChildEnv = "PESTLE_TEST_SIGNAL_CHILD"

// TestSecondSignalEnds runs, in a child process, a command that is stuck
// in a system call where the first signal's cancellation cannot reach it:
// opening a signing key that is a named pipe with no writer. SIGTERM is
// sent until the child ends; it must end, killed by the signal (the first
// one only cancels), well before the deadline.
func TestSecondSignalEnds(t *testing.T) {
	if args := os.Getenv(signalChildEnv); args != "" {
		dir := filepath.Dir(args)
		os.Exit(run([]string{"index", "-o", filepath.Join(dir, "out.tar.gz"), "--signing-key", args, filepath.Join(dir, "none.apk")}, os.Stdout, os.Stderr))
	}
	key := filepath.Join(t.TempDir(), "key.rsa")
	if err := syscall.Mkfifo(key, 0o600); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(os.Args[0], "-test.run=^TestSecondSignalEnds$", "-test.count=1")
	c.Env = append(os.Environ(), signalChildEnv+"="+key)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-done:
			ws, ok := c.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
				t.Fatalf("child ended with %v, want killed by SIGTERM", err)
			}
			return
		case <-tick.C:
			c.Process.Signal(syscall.SIGTERM)
		case <-deadline:
			c.Process.Kill()
			<-done
			t.Fatal("the child did not end on repeated SIGTERM")
		}
	}
}
