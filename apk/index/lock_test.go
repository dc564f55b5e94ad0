package index

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A repository dir may have been copied from anywhere: the lock is not
// taken through a symlink (which O_CREATE would follow to make a file
// elsewhere) nor on a FIFO, and a journal left there cannot name a file
// outside the dir.
func TestLockAndJournalStayInTheDir(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "nologin")
	if err := os.Symlink(elsewhere, filepath.Join(dir, LockName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil {
		t.Fatal("locked through a symlink")
	}
	if _, err := os.Lstat(elsewhere); err == nil {
		t.Fatal("the lock made a file where its symlink points")
	}
	os.Remove(filepath.Join(dir, LockName))
	if err := syscall.Mkfifo(filepath.Join(dir, LockName), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a FIFO lock: %v", err)
	}
	os.Remove(filepath.Join(dir, LockName))

	for _, line := range []string{"..\tx\n", "x\t..\n", ".\tx\n", "a/b\tx\n", "\tx\n"} {
		j := filepath.Join(dir, journalPrefix+"test")
		if err := os.WriteFile(j, []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("journal %q: %v", line, err)
		}
		os.Remove(j)
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
}
