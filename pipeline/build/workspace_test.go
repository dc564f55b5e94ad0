package build

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			rel += "/"
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return out
}

func TestPopulateHonoursMelangeignore(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, ".melangeignore"), "# build outputs\n*.o\n/vendor/\nbuild/\ndocs/internal.md\n", 0o644)
	for _, f := range []string{"main.c", "main.o", "lib/x.o", "lib/x.c", "vendor/a.c", "sub/vendor/b.c", "build/out", "docs/internal.md", "docs/README.md", "packages/x86_64/old.apk"} {
		write(t, filepath.Join(src, f), f, 0o644)
	}
	ws := t.TempDir()
	n, err := populate(src, ws, nil, filepath.Join(src, "packages"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(listTree(t, ws), " ")
	want := ".melangeignore docs/ docs/README.md lib/ lib/x.c main.c sub/ sub/vendor/ sub/vendor/b.c"
	if got != want {
		t.Errorf("workspace holds\n  %s\nwant\n  %s", got, want)
	}
	if n != 5 {
		t.Errorf("populate counted %d files, want 5", n)
	}
}

func TestLoadIgnoreRejectsBadPattern(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, ".melangeignore"), "ok\n[unclosed\n", 0o644)
	_, err := loadIgnore(src)
	if err == nil || !strings.Contains(err.Error(), ".melangeignore:2") {
		t.Fatalf("error %v, want one naming .melangeignore:2", err)
	}
}

// The source folder comes with the recipe: a .melangeignore that is a
// FIFO does not block the build, nor a huge one fill pestle's memory.
func TestLoadIgnoreRefusesOddFiles(t *testing.T) {
	fifo := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(fifo, ".melangeignore"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadIgnore(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
	big := t.TempDir()
	write(t, filepath.Join(big, ".melangeignore"), strings.Repeat("*.o\n", maxIgnore/4+1), 0o644)
	if _, err := loadIgnore(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("huge file: %v", err)
	}
}

func TestCopyTreeKeepsModesLinksAndHardLinks(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	write(t, filepath.Join(src, "bin/tool"), "#!/bin/sh\n", 0o755)
	write(t, filepath.Join(src, "etc/secret"), "s", 0o600)
	write(t, filepath.Join(src, "usr/bin/suid"), "x", 0o644)
	if err := os.Chmod(filepath.Join(src, "usr/bin/suid"), os.ModeSetuid|0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("tool", filepath.Join(src, "bin/alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(src, "bin/tool"), filepath.Join(src, "bin/hard")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "ro"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(src, "ro/file"), "r", 0o444)
	if err := os.Chmod(filepath.Join(src, "ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "dst")
	if err := copyTree(src, dst, nil); err != nil {
		t.Fatal(err)
	}
	if a, b := listTree(t, src), listTree(t, dst); strings.Join(a, " ") != strings.Join(b, " ") {
		t.Fatalf("copy lists %v, source %v", b, a)
	}
	for rel, mode := range map[string]os.FileMode{"bin/tool": 0o755, "etc/secret": 0o600, "ro/file": 0o444, "ro": 0o555 | os.ModeDir, "usr/bin/suid": 0o755 | os.ModeSetuid} {
		st, err := os.Lstat(filepath.Join(dst, rel))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != mode {
			t.Errorf("%s mode %v, want %v", rel, st.Mode(), mode)
		}
	}
	if l, err := os.Readlink(filepath.Join(dst, "bin/alias")); err != nil || l != "tool" {
		t.Errorf("symlink %q, %v", l, err)
	}
	a, _ := os.Stat(filepath.Join(dst, "bin/tool"))
	b, _ := os.Stat(filepath.Join(dst, "bin/hard"))
	if a.Sys().(*syscall.Stat_t).Ino != b.Sys().(*syscall.Stat_t).Ino {
		t.Error("hard link became two files")
	}
	// The copy is independent: changing it leaves the source alone.
	if err := os.WriteFile(filepath.Join(dst, "bin/tool"), []byte("changed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(src, "bin/tool")); string(got) != "#!/bin/sh\n" {
		t.Error("writing the copy changed the source")
	}
	os.Chmod(filepath.Join(src, "ro"), 0o755)
	os.Chmod(filepath.Join(dst, "ro"), 0o755)
}

// A workspace (or temporary dir) inside the source dir is not copied into
// itself.
func TestPopulateSkipsWorkspaceInsideSource(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "main.c"), "int main;", 0o644)
	ws := filepath.Join(src, "tmp", "pestle-build-1", "workspace")
	if err := os.MkdirAll(ws, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := populate(src, ws, nil, filepath.Join(src, "tmp", "pestle-build-1")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(listTree(t, ws), " "); got != "main.c tmp/" {
		t.Errorf("workspace holds %q", got)
	}
}

func TestRemoveTreeRemovesReadOnlyTrees(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scratch")
	for i := 0; i < 30; i++ {
		write(t, filepath.Join(dir, "a", fmt.Sprint(i), "f"), "x", 0o644)
	}
	write(t, filepath.Join(dir, "top"), "x", 0o644)
	write(t, filepath.Join(dir, "ro", "mod", "file"), "x", 0o444)
	if err := os.Chmod(filepath.Join(dir, "ro", "mod"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := fsutil.RemoveTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists: %v", dir, err)
	}
	if err := fsutil.RemoveTree(dir); err != nil {
		t.Errorf("removing a missing tree: %v", err)
	}
}
