package build

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// deadPid returns the pid of a process that has ended.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestCollectDeadTakesOnlyDeadWritersDirs(t *testing.T) {
	parent := t.TempDir()
	dead := filepath.Join(parent, scratchPrefix+strconv.Itoa(deadPid(t))+"-abc")
	mine := filepath.Join(parent, scratchPrefix+strconv.Itoa(os.Getpid())+"-def")
	alive := filepath.Join(parent, scratchPrefix+"1-ghi") // init never ends
	other := filepath.Join(parent, "pestle-buildx-1")
	for _, d := range []string{dead, mine, alive, other} {
		write(t, filepath.Join(d, "ro", "file"), "x", 0o444)
		if err := os.Chmod(filepath.Join(d, "ro"), 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(d, "ro"), 0o755) })
	}
	collectDead(parent, scratchPrefix, slog.New(slog.DiscardHandler))
	if _, err := os.Stat(dead); err == nil {
		t.Errorf("the dead writer's %s is still there", dead)
	}
	for _, d := range []string{mine, alive, other} {
		if _, err := os.Stat(filepath.Join(d, "ro", "file")); err != nil {
			t.Errorf("collected %s, whose writer runs or which is not a scratch dir: %v", d, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(parent, trashName)); len(ents) != 0 {
		t.Errorf("the trash still holds %d entries", len(ents))
	}
}

func TestDiscardRenamesNowAndRemovesInTheBackground(t *testing.T) {
	backgroundRemoval = true
	t.Cleanup(func() { backgroundRemoval = false })
	parent := t.TempDir()
	dir := filepath.Join(parent, "scratch")
	for i := range smallTree + 1 { // too many to remove in place
		write(t, filepath.Join(dir, "ro", strconv.Itoa(i)), "x", 0o444)
	}
	if err := os.Chmod(filepath.Join(dir, "ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := discard(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Fatalf("discard left %s in place", dir)
	}
	trashed := filepath.Join(parent, trashName, "scratch")
	for deadline := time.Now().Add(20 * time.Second); ; {
		if _, err := os.Lstat(trashed); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is still there 20 s after discard", trashed)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDiscardRemovesASmallTreeAtOnce(t *testing.T) {
	backgroundRemoval = true
	t.Cleanup(func() { backgroundRemoval = false })
	parent := t.TempDir()
	dir := filepath.Join(parent, "scratch")
	write(t, filepath.Join(dir, "workspace", "melange-out", "p", "file"), "x", 0o644)
	if os.Geteuid() == 0 { // as an overlay's work dir, which only root has
		if err := os.Mkdir(filepath.Join(dir, "closed"), 0o000); err != nil {
			t.Fatal(err)
		}
	}
	if err := discard(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(parent, trashName)} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there when discard returns (%v)", p, err)
		}
	}
}

func TestFewEntries(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a", "b", "c"), "x", 0o644)
	write(t, filepath.Join(dir, "d"), "x", 0o644)
	if err := os.Symlink("/", filepath.Join(dir, "a", "root")); err != nil {
		t.Fatal(err)
	}
	// a, a/b, a/b/c, a/root (not followed), d: 5 entries.
	for n, want := range map[int]bool{0: false, 4: false, 5: true, 64: true} {
		if got := fewEntries(dir, n); got != want {
			t.Errorf("fewEntries(%d) = %v, want %v", n, got, want)
		}
	}
	if fewEntries(filepath.Join(dir, "missing"), 64) {
		t.Error("a missing dir counts as small")
	}
}
