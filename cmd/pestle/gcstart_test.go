package main

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

const gcChildEnv = "PESTLE_TEST_GC_CHILD"

// TestDeferFirstGC runs its checks in a fresh process (this test binary),
// where nothing has deferred a collection yet.
func TestDeferFirstGC(t *testing.T) {
	if os.Getenv(gcChildEnv) != "" {
		checkDeferFirstGC(t, os.Getenv("GOGC") != "")
		return
	}
	for _, gogc := range []string{"", "200"} {
		c := exec.Command(os.Args[0], "-test.run=^TestDeferFirstGC$", "-test.count=1", "-test.v")
		c.Env = append(os.Environ(), gcChildEnv+"=1", "GOGC="+gogc, "GOMEMLIMIT=")
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS") {
			t.Errorf("GOGC=%q: %v\n%s", gogc, err, out)
		}
	}
}

func checkDeferFirstGC(t *testing.T, envGOGC bool) {
	deferFirstGC()
	wantLimit, wantPercent := int64(firstGCAt), -1
	if envGOGC {
		wantLimit, wantPercent = math.MaxInt64, 200
	}
	if got := debug.SetMemoryLimit(-1); got != wantLimit {
		t.Errorf("memory limit before the first collection = %d, want %d", got, wantLimit)
	}
	if p := debug.SetGCPercent(wantPercent); p != wantPercent {
		t.Errorf("GOGC before the first collection = %d, want %d", p, wantPercent)
	}
	for deadline := time.Now().Add(10 * time.Second); ; runtime.GC() {
		select {
		case <-firstGCDone:
		case <-time.After(time.Millisecond):
			if time.Now().Before(deadline) {
				continue
			}
			t.Fatal("the first collection did not hand pacing back")
		}
		break
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("memory limit after the first collection = %d, want none", got)
	}
	want := 100
	if envGOGC {
		want = 200
	}
	if p := debug.SetGCPercent(want); p != want {
		t.Errorf("GOGC after the first collection = %d, want %d", p, want)
	}
}
