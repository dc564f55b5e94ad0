package apk

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// peakRSSDuring returns how far the resident set size (KiB) of this
// process rose above its level at the start while f ran: the garbage of
// earlier tests is collected and given back first, then the high-water
// mark is reset (Linux 4.0+).
func peakRSSDuring(t testing.TB, f func()) int64 {
	t.Helper()
	// A tight GC target keeps the garbage between collections small, so
	// the peak shows what the work keeps, not when the collector ran
	// (which under load or -race moves it by tens of MiB).
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	debug.FreeOSMemory()
	base := procStatus(t, "VmRSS:")
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		fixture.Need(t, "a resettable peak RSS (/proc/self/clear_refs)", err)
	}
	f()
	return procStatus(t, "VmHWM:") - base
}

// procStatus reads one KiB figure of /proc/self/status.
func procStatus(t testing.TB, field string) int64 {
	t.Helper()
	st, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sc := bufio.NewScanner(st)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			n, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// sparseTree makes a tree of files holes only (fast to make, and to read
// back), size bytes in all, in files of at most 64 MiB.
func sparseTree(t testing.TB, size int64) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; size > 0; i++ {
		n := min(size, 64<<20)
		f, err := os.Create(filepath.Join(dir, "f"+strconv.Itoa(i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(n); err != nil {
			t.Fatal(err)
		}
		f.Close()
		size -= n
	}
	return dir
}

// Packing streams: the memory it takes does not grow with the tree, and
// stays under the design's 64 MiB (here for 256 MiB and 1 GiB trees).
func TestWriteMemoryFlatWithSize(t *testing.T) {
	fixture.Slow(t, "packs a 1 GiB tree")
	// One pack first, unmeasured: what the first pack sets up once (pools,
	// the race detector's shadow of them) is not memory that grows.
	if err := Write(io.Discard, sparseTree(t, 16<<20), &PackageInfo{Name: "warm", Version: "1-r0"}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Each size is packed twice and the lower peak kept: on a loaded
	// machine (or under -race) when the collector runs adds garbage to one
	// run's peak, never takes away what the packing itself keeps.
	peak := map[int64]int64{}
	for _, size := range []int64{256 << 20, 1 << 30} {
		dir := sparseTree(t, size)
		for run := range 2 {
			p := peakRSSDuring(t, func() {
				if err := Write(io.Discard, dir, &PackageInfo{Name: "big", Version: "1-r0"}, WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			})
			t.Logf("packing %d MiB, run %d: peak RSS +%d MiB", size>>20, run+1, p>>10)
			if run == 0 || p < peak[size] {
				peak[size] = p
			}
		}
	}
	small, large := peak[256<<20], peak[1<<30]
	if large > 64<<10 {
		t.Errorf("packing 1 GiB peaked at %d MiB of RSS, over 64 MiB", large>>10)
	}
	// The garbage collector's timing moves the peak by some MiB from run
	// to run; memory that grew with the data would show as hundreds (the
	// larger tree has 768 MiB more).
	if large > small+16<<10 {
		t.Errorf("peak RSS grew with the tree: %d MiB for 256 MiB, %d MiB for 1 GiB", small>>10, large>>10)
	}
}
