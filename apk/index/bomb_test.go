package index

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// bombSize is the inflated size of the generated index: one line of this
// many bytes, without a newline.
const bombSize = 1 << 30

// writeBomb writes an unsigned APKINDEX.tar.gz of about 1 MB whose APKINDEX
// is one 1 GiB line, streaming it so the test never holds it.
func writeBomb(t testing.TB, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "APKINDEX", Mode: 0o644, Size: bombSize, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("P"), 1<<20)
	for range bombSize / len(chunk) {
		if _, err := tw.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// allocated runs f and returns the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestIndexBombRefused: an index that inflates to one 1 GiB line is refused
// by every reader (install's ReadFile, Update as a build does it, Build
// with Merge as `index --merge` does), with an error naming the file and
// the limit, having allocated a few MiB rather than the line.
func TestIndexBombRefused(t *testing.T) {
	fixture.Slow(t, "generating the bomb inflates 1 GiB")
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	writeBomb(t, path)
	fi, _ := os.Stat(path)
	t.Logf("bomb: %d bytes on disk, %d inflated", fi.Size(), bombSize)
	bomb, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pkg := &apk.PackageInfo{Name: "a", Version: "1-r0", Arch: "x86_64", Size: 1, Checksum: bytes.Repeat([]byte{1}, 20)}
	const budget = 96 << 20 // the merge pre-sizes its buffer from the header, up to 64 MiB
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"ReadFile (install)", func() error { _, err := ReadFile(path, nil, true); return err }},
		{"Update (build)", func() error { return Update(dir, []*apk.PackageInfo{pkg}, UpdateOptions{}) }},
		{"Build --merge (index --merge)", func() error {
			_, err := Build(nil, BuildOptions{Output: filepath.Join(dir, "out.tar.gz"), Merge: true, Source: path})
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = c.run() })
			t.Logf("allocated %d MiB: %v", n>>20, err)
			if err == nil {
				t.Fatal("the bomb was accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, "1048576 bytes") {
				t.Errorf("the error does not name the file and the limit: %v", err)
			}
			if n > budget {
				t.Errorf("allocated %d MiB to refuse it (budget %d MiB)", n>>20, budget>>20)
			}
		})
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, bomb) {
		t.Error("the refused index was changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "out.tar.gz")); err == nil {
		t.Error("index --merge wrote an output from the refused index")
	}
}
