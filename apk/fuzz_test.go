package apk

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// addReadSeeds gives a read fuzzer the real packages and a crafted one
// with a symlink and a hard link.
func addReadSeeds(f *testing.F) {
	for _, fx := range fixturePackages {
		f.Add(readFixture(f, fx.file))
	}
	f.Add(craft(f, dir("usr"), file("usr/a", "a"), symlink("usr/b", "a"), hardlink("usr/c", "usr/a")))
}

// FuzzRead feeds arbitrary bytes to Read. HashDataOnly must accept what a
// full read accepts, with the same result, and a streamed read must give
// the same result or error as a read from memory. It only reads, so it
// runs thousands of inputs a second; FuzzReadExtract takes what Read
// accepts further.
func FuzzRead(f *testing.F) {
	addReadSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) { readChecked(t, data) })
}

// FuzzReadExtract: whatever Read accepts must also extract, and the
// extracted tree must pack again into a package that reads back with the
// same regular files. (Extracting and packing cost milliseconds an input.)
func FuzzReadExtract(f *testing.F) {
	addReadSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if readChecked(t, data) == nil {
			return
		}
		extractAndRepack(t, data)
	})
}

// readChecked reads data as FuzzRead says and returns the package, or nil
// when Read refuses it.
func readChecked(t *testing.T, data []byte) *Package {
	t.Helper()
	quick, quickErr := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true, HashDataOnly: true})
	var e *Error
	if quickErr != nil && !errors.As(quickErr, &e) {
		t.Fatalf("HashDataOnly: error is not an *apk.Error: %v", quickErr)
	}
	pkg, err := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true})
	streamed, serr := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true, stream: true})
	if fmt.Sprint(err) != fmt.Sprint(serr) || !reflect.DeepEqual(pkg, streamed) {
		t.Fatalf("read from memory: %v, streamed: %v", err, serr)
	}
	if err != nil {
		if !errors.As(err, &e) {
			t.Fatalf("error is not an *apk.Error: %v", err)
		}
		return nil
	}
	if quickErr != nil {
		t.Fatalf("a full read accepts what HashDataOnly refuses: %v", quickErr)
	}
	if !reflect.DeepEqual(quick, pkg) {
		t.Fatalf("HashDataOnly read %+v, full read %+v", quick, pkg)
	}
	if pkg.Info == nil || pkg.Info.FileSize != int64(len(data)) {
		t.Fatalf("accepted package without info or with FileSize %d of %d", pkg.Info.FileSize, len(data))
	}
	return pkg
}

// extractAndRepack extracts the package data, checks every regular file
// against its checksum, packs the tree again and reads that back.
func extractAndRepack(t *testing.T, data []byte) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{}
	_, err := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true, ExtractTo: root, OnEntry: func(e Entry) error {
		switch {
		case e.Name[0] == '.':
		case e.Type == '0' || e.Type == '1':
			files[e.Name] = string(e.SHA1)
		default:
			delete(files, e.Name)
		}
		return nil
	}})
	if err != nil {
		// Extraction may fail where reading cannot: a name used as both a
		// file and a directory, a special file in the way.
		return
	}
	for name, sum := range files {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := sha1.Sum(b); string(got[:]) != sum {
			t.Fatalf("%s: extracted content does not match its checksum", name)
		}
	}
	var buf bytes.Buffer
	info := &PackageInfo{Name: "refuzz", Version: "1-r0"}
	if err := Write(&buf, root, info, WriteOptions{}); err != nil {
		return // e.g. a top-level dot name that apk-tools skips
	}
	if _, err := Read(bytes.NewReader(buf.Bytes()), ReadOptions{}); err != nil {
		t.Fatalf("re-packed tree does not read back: %v", err)
	}
}
