package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestReadYAMLFile checks contents and errors against os.ReadFile's.
func TestReadYAMLFile(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "melange.yaml")
	if err := os.WriteFile(small, []byte("package:\n  name: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{small, empty, filepath.Join(dir, "missing.yaml"), dir} {
		got, err := readYAMLFile(path)
		want, wantErr := os.ReadFile(path)
		if string(got) != string(want) || (err == nil) != (wantErr == nil) {
			t.Errorf("%s: %q, %v; os.ReadFile: %q, %v", path, got, err, want, wantErr)
			continue
		}
		if err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s: error %q, os.ReadFile's %q", path, err, wantErr)
		}
	}
	if _, err := readYAMLFile(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file is %v, not fs.ErrNotExist", err)
	}
}

// TestReadYAMLFileBound refuses a file over maxYAMLFile without reading it.
func TestReadYAMLFileBound(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxYAMLFile + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := readYAMLFile(big); err == nil || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("a file over the bound: %v", err)
	}
}

// TestReadYAMLFilePipe reads a source whose size is unknown (a FIFO fed
// by a writer), as `pestle compile <(...)` gives one.
func TestReadYAMLFilePipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("vars:\n  a: b\n", 1000)
	go func() {
		w.WriteString(text)
		w.Close()
	}()
	defer r.Close()
	got, err := readYAMLFile("/proc/self/fd/" + strconv.Itoa(int(r.Fd())))
	if err != nil || string(got) != text {
		t.Fatalf("read %d bytes of %d: %v", len(got), len(text), err)
	}
}

// A pipeline definition is found by name in a folder that comes with the
// recipes: a FIFO there is refused at once instead of blocking the
// compile.
func TestPipelineFIFORefused(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "stuck.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := NewLibrary(dir)
	if _, err := lib.lookup("stuck"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("lookup of a FIFO: %v", err)
	}
}
