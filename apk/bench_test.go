package apk

import (
	"bytes"
	"crypto/rsa"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/keys"
)

var benchTree struct {
	once  sync.Once
	dir   string
	bytes int64
	files int
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchTree.dir != "" {
		os.RemoveAll(benchTree.dir)
	}
	os.Exit(code)
}

// makeBenchTree generates, once per run, a source-like tree of about
// PESTLE_BENCH_MB megabytes (default 150) in files of 12.5 kB on average:
// text drawn from a fixed vocabulary, plus one less compressible "binary"
// in 400 files, in 700 directories.
func makeBenchTree(b *testing.B) (string, int64, int) {
	benchTree.once.Do(func() {
		mb := 150
		if v, err := strconv.Atoi(os.Getenv("PESTLE_BENCH_MB")); err == nil && v > 0 {
			mb = v
		}
		dir, err := os.MkdirTemp("", "pestle-bench-tree-")
		if err != nil {
			benchTree.err = err
			return
		}
		benchTree.dir = dir
		rng := rand.New(rand.NewPCG(1, 2))
		words := strings.Fields("func return if else for range struct interface package import var const type error nil string int byte map chan go defer select case switch default break continue true false len cap make new append copy delete panic recover")
		var pool strings.Builder
		for pool.Len() < 8<<20 {
			pool.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				pool.WriteString("\n\t")
			} else {
				pool.WriteByte(' ')
			}
		}
		text := pool.String()
		noise := make([]byte, 4<<20)
		for i := range noise {
			noise[i] = byte(rng.Uint32() % 64)
		}
		total := int64(mb) << 20
		for benchTree.bytes < total {
			d := filepath.Join(dir, fmt.Sprintf("src/pkg%02d/sub%d", benchTree.files%100, benchTree.files%7))
			if err := os.MkdirAll(d, 0o755); err != nil {
				benchTree.err = err
				return
			}
			size := 1 + rng.IntN(25000)
			var data []byte
			if benchTree.files%400 == 0 {
				size = 256<<10 + rng.IntN(256<<10)
				data = noise[:size]
			} else {
				off := rng.IntN(len(text) - size)
				data = []byte(text[off : off+size])
			}
			name := filepath.Join(d, fmt.Sprintf("file%05d.go", benchTree.files))
			if err := os.WriteFile(name, data, 0o644); err != nil {
				benchTree.err = err
				return
			}
			benchTree.bytes += int64(size)
			benchTree.files++
		}
	})
	if benchTree.err != nil {
		b.Fatal(benchTree.err)
	}
	return benchTree.dir, benchTree.bytes, benchTree.files
}

// BenchmarkWrite packs a ~150 MB / ~12k-file tree (unsigned; signing is a
// constant few milliseconds) and reports the throughput over the tree's
// bytes.
func BenchmarkWrite(b *testing.B) {
	dir, size, files := makeBenchTree(b)
	b.SetBytes(size)
	var out int64
	for b.Loop() {
		info := &PackageInfo{Name: "bench", Version: "1-r0"}
		if err := Write(io.Discard, dir, info, WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		out = info.FileSize
	}
	b.ReportMetric(float64(out)/(1<<20), "apk-MB")
	b.ReportMetric(float64(files), "files")
}

// BenchmarkRead verifies the package BenchmarkWrite makes.
func BenchmarkRead(b *testing.B) {
	dir, size, _ := makeBenchTree(b)
	path := filepath.Join(b.TempDir(), "bench.apk")
	if err := WriteFile(path, dir, &PackageInfo{Name: "bench", Version: "1-r0"}, WriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		if _, err := ReadFile(path, ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSmall packs a two-file package with a 4096-bit key, the
// common case of a small build: fixed costs (signing, compressor set-up,
// temporary files) dominate.
func BenchmarkWriteSmall(b *testing.B) {
	dir := b.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "usr/share/small"), 0o755); err != nil {
		b.Fatal(err)
	}
	for i, body := range []string{"hello\n", strings.Repeat("some text ", 200)} {
		if err := os.WriteFile(filepath.Join(dir, "usr/share/small", strconv.Itoa(i)), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	key := bench4096(b)
	b.ReportAllocs()
	for b.Loop() {
		info := &PackageInfo{Name: "small", Version: "1.0-r0", Arch: "x86_64"}
		if err := Write(io.Discard, dir, info, WriteOptions{Signer: &keys.Signer{Key: key, Name: "bench.rsa.pub"}, TempDir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
	}
}

var benchKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// bench4096 is a 4096-bit key, the size `pestle keygen` makes, read from
// apk/index's test data (generating one takes seconds).
func bench4096(b *testing.B) *rsa.PrivateKey {
	benchKey.once.Do(func() {
		benchKey.key, benchKey.err = keys.LoadPrivate(filepath.Join("index", "testdata", "bench4096.rsa"))
	})
	if benchKey.err != nil {
		b.Fatal(benchKey.err)
	}
	return benchKey.key
}

// BenchmarkReadSmall reads and fully verifies a small real package from
// memory: the per-package fixed costs (buffers, decompressors, digests)
// that dominate indexing a repository of small packages.
func BenchmarkReadSmall(b *testing.B) {
	data := readFixture(b, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSmallHashDataOnly is BenchmarkReadSmall in the mode
// indexing uses: the data segment is hashed, not inflated.
func BenchmarkReadSmallHashDataOnly(b *testing.B) {
	data := readFixture(b, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), ReadOptions{HashDataOnly: true}); err != nil {
			b.Fatal(err)
		}
	}
}
