package sandbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// needBwrap skips the test loudly outside CI, and fails it in CI, when
// bwrap cannot run here.
func needBwrap(t testing.TB) {
	t.Helper()
	fixture.Need(t, "a bwrap that runs here (apt-get install bubblewrap; user namespaces)",
		NewBwrap().Preflight(context.Background(), ""))
}

var (
	busyboxOnce    sync.Once
	busyboxApplets []string
	busyboxErr     error
)

// guestRoot builds a minimal guest root: a static busybox and one symlink
// per applet in /bin.
func guestRoot(t testing.TB) string {
	t.Helper()
	busyboxOnce.Do(func() {
		out, err := exec.Command("/bin/busybox", "--list").Output()
		if err != nil {
			busyboxErr = err
			return
		}
		busyboxApplets = strings.Fields(string(out))
	})
	fixture.Need(t, "/bin/busybox (apt-get install busybox-static)", busyboxErr)
	root := t.TempDir()
	bin := filepath.Join(root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range busyboxApplets {
		if a == "busybox" {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(bin, a)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// started returns a runner started over a fresh busybox root and
// workspace; edit adjusts the spec first.
func started(t testing.TB, edit func(*Spec), opts ...Option) (*Bwrap, Spec) {
	t.Helper()
	needBwrap(t)
	spec := Spec{Root: guestRoot(t), Workspace: t.TempDir()}
	if edit != nil {
		edit(&spec)
	}
	b := NewBwrap(opts...)
	if err := b.Start(context.Background(), spec); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b, spec
}

// run executes script and returns its stdout and stderr.
func run(t testing.TB, b *Bwrap, cmd Command) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := b.Run(context.Background(), cmd)
	return out.String(), errOut.String(), err
}

// mustRun executes script and fails the test unless it succeeds.
func mustRun(t testing.TB, b *Bwrap, cmd Command) string {
	t.Helper()
	out, errOut, err := run(t, b, cmd)
	if err != nil {
		t.Fatalf("Run(%q): %v\nstdout: %s\nstderr: %s", cmd.Script, err, out, errOut)
	}
	return out
}

// processesWith lists the pids whose command line contains marker.
func processesWith(t testing.TB, marker string) []string {
	t.Helper()
	want := []byte(marker)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range entries {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // exited meanwhile
		}
		if bytes.Contains(cmdline, want) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// signalWriter closes ready the first time word appears in what it got.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	word  string
	ready chan struct{}
	fired bool
}

func newSignalWriter(word string) *signalWriter {
	return &signalWriter{word: word, ready: make(chan struct{})}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.word) {
		w.fired = true
		close(w.ready)
	}
	return len(p), nil
}

func asExit(t testing.TB, err error) *ExitError {
	t.Helper()
	var e *ExitError
	if !errors.As(err, &e) {
		t.Fatalf("want *ExitError, got %T: %v", err, err)
	}
	return e
}
