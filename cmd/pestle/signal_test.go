package main

import (
	"syscall"
	"testing"
	"time"
)

// TestStopSignalsCancel sends each stop signal to this process: each
// cancels the context a build runs under, as Ctrl-C does, instead of
// ending the process on the spot.
func TestStopSignalsCancel(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		ctx, stop := commandContext([]string{"build", "melange.yaml"})
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("%v did not cancel the context", sig)
		}
		stop()
	}
}
