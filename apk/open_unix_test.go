//go:build unix

package apk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIndexReaderDirectories reads packages from several directories in
// turn, by paths of every shape (relative, with "..", a directory that
// is replaced, a missing file): each gives what ReadFile gives.
func TestIndexReaderDirectories(t *testing.T) {
	root := t.TempDir()
	data := readFixture(t, fixturePackages[0].file)
	for _, d := range []string{"a", "b", "a/sub"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
		writeTemp(t, filepath.Join(root, d), "p.apk", data)
	}
	t.Chdir(root)
	ir := NewIndexReader()
	defer ir.Close()
	paths := []string{
		filepath.Join(root, "a", "p.apk"), filepath.Join(root, "a", "p.apk"),
		filepath.Join(root, "b", "p.apk"), "a/p.apk", "a/sub/../p.apk", "a/sub/p.apk",
		"a/missing.apk", "missing/p.apk", "p.apk",
	}
	for _, p := range paths {
		sameAsReadFile(t, ir, p)
	}
	// A directory replaced while its files are read is read as it was
	// when the first of them was opened (as a shell glob expanded before
	// the command sees it); the next reader sees the new one.
	sameAsReadFile(t, ir, "b/p.apk")
	if err := os.Rename("b", "old-b"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir("b", 0o755); err != nil {
		t.Fatal(err)
	}
	if info, err := ir.ReadFile("b/p.apk"); err != nil || info.Name+"-"+info.Version != fixturePackages[0].pkgver {
		t.Fatalf("a file of the replaced directory: %v, %v", info, err)
	}
	ir2 := NewIndexReader()
	defer ir2.Close()
	if _, err := ir2.ReadFile("b/p.apk"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a new reader: %v, want not found", err)
	}
	// A directory named where a package belongs is said to be one.
	const want = "i/o error: is a directory, not a package file: name the .apk files in it"
	if _, err := ir2.ReadFile("a"); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("index reader, a directory: %v", err)
	}
	if _, err := ReadFile("a", ReadOptions{}); err == nil || err.Error() != "a: "+want {
		t.Errorf("ReadFile, a directory: %v", err)
	}
}
