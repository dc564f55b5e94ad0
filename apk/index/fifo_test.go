package index

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// TestFIFOsDoNotBlock puts named pipes, with no writer, where a package, an
// index and an index's sidecar are expected. Each must give an error or be
// ignored at once: opening a FIFO for reading normally waits for a writer,
// which would hang the command (this test would not return).
func TestFIFOsDoNotBlock(t *testing.T) {
	dir := t.TempDir()
	mkfifo := func(name string) string {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pkg := mkfifo("pipe.apk")
	_, err := ReadPackages([]string{fixture.Path(t, fixtureRecords[0].file), pkg}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), pkg+": ") {
		t.Errorf("package FIFO: error %v, want one naming %s", err, pkg)
	}

	repo := filepath.Join(dir, "repo")
	if err := os.Mkdir(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(repo, FileName), 0o644); err != nil {
		t.Fatal(err)
	}
	err = Update(repo, nil, UpdateOptions{})
	if err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("index FIFO: error %v, want one saying it is a named pipe", err)
	}

	// A FIFO as the sidecar is not trusted and not waited on: the merge
	// takes the full path.
	if err := os.Remove(filepath.Join(repo, FileName)); err != nil {
		t.Fatal(err)
	}
	if err := Update(repo, nil, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	side := sidecarPath(filepath.Join(repo, FileName))
	if err := os.Remove(side); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(side, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Update(repo, nil, UpdateOptions{}); err != nil {
		t.Errorf("merge with a FIFO sidecar: %v", err)
	}
}
