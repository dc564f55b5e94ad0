package fsutil

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// entries lists dir's names, sorted.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "APKINDEX.tar.gz")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new" {
		t.Fatalf("read %q, %v", got, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if names := entries(t, dir); !slices.Equal(names, []string{"APKINDEX.tar.gz"}) {
		t.Errorf("left %q", names)
	}
}

func TestWriteErrorLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.apk")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(path, 0o644, func(w io.Writer) error {
		w.Write([]byte(strings.Repeat("x", 1<<20)))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("the old file became %q", got)
	}
	if names := entries(t, dir); !slices.Equal(names, []string{"a.apk"}) {
		t.Errorf("left %q", names)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir"), nil, 0o644); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
}

func TestCreateNamesTheWriter(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "key.rsa"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	name := filepath.Base(f.Name())
	prefix := ".key.rsa.tmp-" + strconv.Itoa(os.Getpid()) + "-"
	if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		t.Errorf("temporary name %q, want %s<random>", name, prefix)
	}
	if pid, ok := writerPID(name); !ok || pid != os.Getpid() {
		t.Errorf("writerPID(%q) = %d, %v", name, pid, ok)
	}
	if fi, _ := f.Stat(); fi.Mode().Perm() != 0o600 {
		t.Errorf("temporary file mode %v, want 0600 until Commit", fi.Mode().Perm())
	}
	f.Abort()
	if names := entries(t, dir); len(names) != 0 {
		t.Errorf("Abort left %q", names)
	}
	if err := f.Commit(0o644); err == nil {
		t.Error("Commit after Abort succeeded")
	}
}

func TestWriterPID(t *testing.T) {
	for _, c := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{".APKINDEX.tar.gz.tmp-123-456789", 123, true},
		{".a.tmp-1.tmp-77-x", 77, true},
		{".a.tmp-77-", 0, false},
		{".a.tmp-077-x", 0, false},
		{".a.tmp--7-x", 0, false},
		{".a.tmp-x-1", 0, false},
		{"a.tmp-77-x", 0, false},
		{".tmp-77-x", 0, false},
		{".a.tmp77-x", 0, false},
		{".a.apk", 0, false},
	} {
		if pid, ok := writerPID(c.name); pid != c.pid || ok != c.ok {
			t.Errorf("writerPID(%q) = %d, %v; want %d, %v", c.name, pid, ok, c.pid, c.ok)
		}
	}
}

// deadPID returns the id of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	mine := strconv.Itoa(os.Getpid())
	live := exec.Command("/bin/sh", "-c", "read x")
	stdin, _ := live.StdinPipe()
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); live.Wait() }()
	other := strconv.Itoa(live.Process.Pid)
	files := []string{
		".a.apk.tmp-" + dead + "-1",           // dead writer: removed
		".APKINDEX.tar.gz.tmp-" + dead + "-2", // dead writer: removed
		".a.apk.tmp-" + mine + "-3",           // this process: kept
		".b.apk.tmp-" + other + "-4",          // a live process: kept
		"a.apk",                               // not temporary: kept
		".hidden",                             // not temporary: kept
	}
	for _, n := range files {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.tmp-"+dead+"-5"), 0o755); err != nil { // not a file: kept
		t.Fatal(err)
	}
	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	if want := []string{".APKINDEX.tar.gz.tmp-" + dead + "-2", ".a.apk.tmp-" + dead + "-1"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	want := []string{".a.apk.tmp-" + mine + "-3", ".b.apk.tmp-" + other + "-4", ".d.tmp-" + dead + "-5", ".hidden", "a.apk"}
	slices.Sort(want)
	if names := entries(t, dir); !slices.Equal(names, want) {
		t.Errorf("left %q, want %q", names, want)
	}
	if removed, err := RemoveStale(filepath.Join(dir, "missing")); err != nil || removed != nil {
		t.Errorf("missing dir: %q, %v", removed, err)
	}
}

func TestRemoveTree(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "tree")
	for i := range 20 {
		sub := filepath.Join(dir, "d"+strconv.Itoa(i%3), "e"+strconv.Itoa(i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(dir, "d0", "link")); err != nil {
		t.Fatal(err)
	}
	// A read-only directory, as Go's module cache leaves them.
	ro := filepath.Join(dir, "d1", "e1")
	if err := os.Chmod(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := RemoveTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the tree is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("a symlink was followed: %v", err)
	}
	if err := RemoveTree(dir); err != nil {
		t.Errorf("a missing tree: %v", err)
	}
}
