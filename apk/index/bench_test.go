package index

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// benchPackages makes n small records shaped like a distribution's:
// subpackages sharing an origin, a few dependencies and provides each.
func benchPackages(n int) []*apk.PackageInfo {
	pkgs := make([]*apk.PackageInfo, n)
	for i := range pkgs {
		origin := "origin" + strconv.Itoa(i/4)
		name := origin
		if i%4 != 0 {
			name += []string{"", "-dev", "-doc", "-libs"}[i%4]
		}
		ver := fmt.Sprintf("%d.%d.%d-r%d", i%7, i%13, i%29, i%3)
		h := sha1.Sum([]byte(name + ver))
		pkgs[i] = &apk.PackageInfo{
			Name: name, Version: ver, Arch: "x86_64",
			FileSize: int64(2000 + i), Size: uint64(8192 + i),
			Description: "Package number " + strconv.Itoa(i) + " of the benchmark repository",
			URL:         "https://example.org/" + origin, License: "MIT", Origin: origin,
			Maintainer: "Bench Maintainer <bench@example.org>", BuildDate: 1700000000 + int64(i),
			Commit:   fmt.Sprintf("%040x", i),
			Depends:  []string{"so:libc.musl-x86_64.so.1", "busybox", "origin" + strconv.Itoa((i+1)%n/4)},
			Provides: []string{"cmd:" + name + "=" + ver},
			Checksum: h[:],
		}
	}
	return pkgs
}

func benchKey(b *testing.B) (*keys.Keyring, func() UpdateOptions) {
	key, err := keys.LoadPrivate("testdata/bench4096.rsa")
	if err != nil {
		b.Fatal(err)
	}
	kr := keyring(b, "testdata/bench4096.rsa.pub")
	return kr, func() UpdateOptions {
		return UpdateOptions{Keyring: kr, Signer: &keys.Signer{Key: key, Name: "bench4096.rsa.pub"}}
	}
}

// BenchmarkIndex5000 builds, writes (temporary file, fsync, rename) and
// signs (RSA256, 4096-bit key) an index of 5,000 records from scratch.
func BenchmarkIndex5000(b *testing.B) {
	_, opts := benchKey(b)
	o := opts()
	pkgs := benchPackages(5000)
	path := filepath.Join(b.TempDir(), FileName)
	loopCPU(b, func() {
		ix := &Index{}
		ix.Merge(pkgs...)
		if err := WriteFile(path, ix, o.Signer, 0); err != nil {
			b.Fatal(err)
		}
	})
	st, _ := os.Stat(path)
	b.ReportMetric(float64(st.Size()), "index-bytes")
}

// BenchmarkIndex5000Memory is BenchmarkIndex5000 without the file system.
func BenchmarkIndex5000Memory(b *testing.B) {
	_, opts := benchKey(b)
	o := opts()
	pkgs := benchPackages(5000)
	loopCPU(b, func() {
		ix := &Index{}
		ix.Merge(pkgs...)
		if err := Write(io.Discard, ix, o.Signer, 0); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkMerge1Into5000 is one Update of a repository holding 5,000
// packages: lock, read and verify the signed index from disk, replace one
// record, write, sign, fsync and rename.
func BenchmarkMerge1Into5000(b *testing.B) {
	_, opts := benchKey(b)
	o := opts()
	dir := b.TempDir()
	if err := Update(dir, benchPackages(5000), o); err != nil {
		b.Fatal(err)
	}
	one := benchPackages(1)[0]
	one.Name = "newly-built"
	loopCPU(b, func() {
		if err := Update(dir, []*apk.PackageInfo{one}, o); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRead5000 reads and verifies a signed 5,000-record index.
func BenchmarkRead5000(b *testing.B) {
	kr, opts := benchKey(b)
	dir := b.TempDir()
	if err := Update(dir, benchPackages(5000), opts()); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, FileName)
	loopCPU(b, func() {
		if _, err := ReadFile(path, kr, false); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkReadAlpine316 reads and verifies the real 4,929-package index.
func BenchmarkReadAlpine316(b *testing.B) {
	dir := fixture.Path(b, "alpine-316")
	kr := keyring(b, filepath.Join(dir, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"))
	for b.Loop() {
		if _, err := ReadFile(filepath.Join(dir, FileName), kr, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadPackages500 measures reading .apk files for indexing (the
// part of "index from scratch" that depends on package files): 500 copies
// of a small melange package.
func BenchmarkReadPackages500(b *testing.B) {
	src := mustRead(b, fixture.Path(b, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk"))
	dir := b.TempDir()
	files := make([]string, 500)
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("p%d.apk", i))
		if err := os.WriteFile(files[i], src, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	loopCPU(b, func() {
		if _, err := ReadPackages(files, nil); err != nil {
			b.Fatal(err)
		}
	})
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs f b.N times and reports the CPU time per run besides the
// wall time: on a shared machine it is the steadier figure.
func loopCPU(b *testing.B, f func()) {
	b.ResetTimer()
	start := cpuTime()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(n)/1e6, "cpu-ms/op")
}

// BenchmarkParseText5000 parses the text of 5,000 records.
func BenchmarkParseText5000(b *testing.B) {
	var text bytes.Buffer
	if err := (&Index{Packages: benchPackages(5000)}).WriteText(&text); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(text.Len()))
	loopCPU(b, func() {
		if _, err := ParseText(bytes.NewReader(text.Bytes())); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkWriteText5000 sorts and renders 5,000 records.
func BenchmarkWriteText5000(b *testing.B) {
	ix := &Index{Packages: benchPackages(5000)}
	var text bytes.Buffer
	loopCPU(b, func() {
		text.Reset()
		if err := ix.WriteText(&text); err != nil {
			b.Fatal(err)
		}
	})
	b.SetBytes(int64(text.Len()))
}

// BenchmarkMerge1Into100000 is BenchmarkMerge1Into5000 on a repository of
// 100,000 packages (the index is made in a temporary directory). Besides
// B/op it reports the peak of the Go heap during one merge, which must
// stay linear in the index size.
func BenchmarkMerge1Into100000(b *testing.B) {
	_, opts := benchKey(b)
	o := opts()
	dir := b.TempDir()
	if err := Update(dir, benchPackages(100000), o); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "index-bytes")
	one := benchPackages(1)[0]
	one.Name = "newly-built"
	runtime.GC()
	var peak uint64
	loopCPU(b, func() {
		stop := sampleHeap(&peak)
		err := Update(dir, []*apk.PackageInfo{one}, o)
		stop()
		if err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// sampleHeap records the largest live heap seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
