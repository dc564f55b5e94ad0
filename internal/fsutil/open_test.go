package fsutil

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a.apk")
	if err := os.WriteFile(file, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.apk")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRegular(file)
	if err != nil {
		t.Fatalf("regular file: %v", err)
	}
	b := make([]byte, 8)
	if n, err := f.Read(b); err != nil || string(b[:n]) != "data" {
		t.Errorf("read %q, %v; want data", b[:n], err)
	}
	f.Close()
	// A FIFO with no writer: the open must return at once with an error,
	// not wait for a writer (the test would hang).
	for path, want := range map[string]string{fifo: "a named pipe", dir: "a directory", "/dev/null": "a device"} {
		f, err := OpenRegular(path)
		if err == nil {
			f.Close()
			t.Errorf("%s: opened, want an error", path)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %q does not name the path and %q", path, err, want)
		}
	}
	if _, err := OpenRegular(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v, want not-exist", err)
	}
}
