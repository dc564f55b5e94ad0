package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestRunCancelKillsProcessTree(t *testing.T) {
	b, _ := started(t, nil)
	n := strconv.Itoa(500000 + rand.IntN(400000))
	ready := newSignalWriter("ready")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- b.Run(ctx, Command{
			// Say ready once both sleeps have started (bounded).
			Script: fmt.Sprintf(`sleep %[1]s &
(sleep %[1]s; echo never) &
count() { c=0; for f in /proc/[0-9]*/cmdline; do [ "$(tr '\0' ' ' < $f 2>/dev/null)" = "sleep %[1]s " ] && c=$((c+1)); done; echo $c; }
i=0
until [ "$(count)" -ge 2 ]; do i=$((i+1)); [ $i -lt 10000 ] || exit 99; done
echo ready
wait
`, n),
			Stdout: ready,
		})
	}()
	select {
	case <-ready.ready:
	case err := <-errc:
		t.Fatalf("step ended early: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the step never said ready")
	}
	// The shell, the subshell and both sleeps.
	if pids := processesWith(t, n); len(pids) < 4 {
		t.Fatalf("want the step's 4 processes running, found %v", pids)
	}
	cancel()
	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if pids := processesWith(t, n); len(pids) != 0 {
		t.Fatalf("processes left after cancel: %v", pids)
	}
}

func TestRunTimeout(t *testing.T) {
	b, _ := started(t, nil)
	n := strconv.Itoa(500000 + rand.IntN(400000))
	_, _, err := run(t, b, Command{Script: "sleep " + n + " & sleep " + n, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	if pids := processesWith(t, n); len(pids) != 0 {
		t.Fatalf("processes left after timeout: %v", pids)
	}
}

func TestCloseKillsRunningSteps(t *testing.T) {
	b, _ := started(t, nil)
	n := strconv.Itoa(500000 + rand.IntN(400000))
	ready := newSignalWriter("ready")
	errc := make(chan error, 1)
	go func() {
		errc <- b.Run(context.Background(), Command{Script: "echo ready; sleep " + n, Stdout: ready})
	}()
	<-ready.ready
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	if pids := processesWith(t, n); len(pids) != 0 {
		t.Fatalf("processes left after Close: %v", pids)
	}
	if err := b.Run(context.Background(), Command{Script: "true"}); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Run after Close: %v", err)
	}
}

func TestRunConcurrent(t *testing.T) {
	b, spec := started(t, nil)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = b.Run(context.Background(), Command{Script: fmt.Sprintf("echo %d > f%d", i, i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
		if _, err := os.Stat(filepath.Join(spec.Workspace, fmt.Sprintf("f%d", i))); err != nil {
			t.Error(err)
		}
	}
}

func TestRunInteractiveShell(t *testing.T) {
	b, _ := started(t, nil)
	var out bytes.Buffer
	err := b.Run(context.Background(), Command{
		Script:      "echo failing-fragment\nexit 3",
		WorkDir:     "sub",
		Interactive: true,
		Stdin:       strings.NewReader("echo in-shell $(pwd) $STEPVAR\ncat $HISTFILE\nexit 0\n"),
		Env:         map[string]string{"STEPVAR": "v"},
		Stdout:      PrefixWriter(&out, "| "),
		Stderr:      io.Discard,
	})
	if err != nil {
		t.Fatalf("shell exited 0, want nil, got %v", err)
	}
	got := out.String()
	// The step's output is prefixed; the shell writes to the terminal
	// directly.
	for _, want := range []string{"| failing-fragment\n", "in-shell /home/build/sub v\n", "echo failing-fragment\nexit 3\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}

	err = b.Run(context.Background(), Command{
		Script: "exit 3", Interactive: true, Stdin: strings.NewReader("exit 9\n"),
	})
	if e := asExit(t, err); e.Code != 3 {
		t.Errorf("shell exited 9: want the step's *ExitError 3, got %v", e)
	}
	// A step that succeeds never opens the shell.
	mustRun(t, b, Command{Script: "true", Interactive: true, Stdin: strings.NewReader("exit 9\n")})
}

func TestOverlayRootKeepsLowerUnchanged(t *testing.T) {
	if !CanOverlay() {
		fixture.Need(t, "overlay guest roots", errors.New("CanOverlay is false: overlayfs needs root and a kernel that mounts it here"))
	}
	lowerBuilt, spec := started(t, nil)
	lowerBuilt.Close()
	lower := spec.Root
	if err := os.MkdirAll(filepath.Join(lower, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	before := []byte("welcome\n")
	if err := os.WriteFile(filepath.Join(lower, "etc", "motd"), before, 0o644); err != nil {
		t.Fatal(err)
	}
	scratch := t.TempDir()
	spec.Root = filepath.Join(scratch, "merged")
	spec.Overlay = &Overlay{Lower: lower, Upper: filepath.Join(scratch, "upper"), Work: filepath.Join(scratch, "work")}
	b := NewBwrap()
	if err := b.Start(context.Background(), spec); err != nil {
		t.Fatal(err)
	}
	mustRun(t, b, Command{Script: "echo changed >> /etc/motd\nmkdir -p /opt/new && echo x > /opt/new/file\nrm /bin/ls"})
	// Later steps see the changes.
	out := mustRun(t, b, Command{Script: "cat /opt/new/file; [ ! -e /bin/ls ] && echo gone"})
	if out != "x\ngone\n" {
		t.Errorf("second step sees %q", out)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(filepath.Join(lower, "etc", "motd"))
	if !bytes.Equal(before, after) {
		t.Errorf("a step changed the lower layer's /etc/motd: %q", after)
	}
	if _, err := os.Lstat(filepath.Join(lower, "bin", "ls")); err != nil {
		t.Errorf("a step removed /bin/ls from the lower layer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lower, "opt")); err == nil {
		t.Error("a step's new directory reached the lower layer")
	}
	if _, err := os.Stat(filepath.Join(scratch, "upper", "opt", "new", "file")); err != nil {
		t.Errorf("the change is not in the upper layer: %v", err)
	}
	// The mount never reached the host's mount table. This thread is not
	// the runner's (which may have been the process's main thread, so
	// /proc/self would show its namespace).
	runtime.LockOSThread()
	mounts, _ := os.ReadFile("/proc/thread-self/mountinfo")
	runtime.UnlockOSThread()
	if bytes.Contains(mounts, []byte(spec.Root)) {
		t.Errorf("the overlay is visible in the host's mount table")
	}
}
