package sca

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
)

// familyTrees lays out n output trees of one build: the first holds a
// -dev symlink, the last the library it points to, the one before last an
// ld.so.conf.d that makes usr/lib/extra a library dir; the others hold one
// plain file each.
func familyTrees(t testing.TB, n int) []string {
	bin := binaries(t)
	dir := t.TempDir()
	trees := make([]string, n)
	for i := range trees {
		trees[i] = filepath.Join(dir, fmt.Sprintf("pkg%05d", i))
		writeFile(t, filepath.Join(trees[i], "usr/share/pkg/file"), []byte("data\n"), 0o644)
	}
	symlink(t, "libfoo.so.1.2.3", filepath.Join(trees[0], "usr/lib/extra/libfoo.so"))
	writeFile(t, filepath.Join(trees[n-2], "etc/ld.so.conf.d/extra.conf"), []byte("/usr/lib/extra\n"), 0o644)
	copyFile(t, filepath.Join(bin, "libfoo.so.1.2.3"), filepath.Join(trees[n-1], "usr/lib/extra/libfoo.so.1.2.3"), 0o755)
	return trees
}

// TestFamilyFewDescriptors scans the first of 300 sibling trees with at
// most 40 descriptors allowed: the library in the last tree, in a library
// dir that the tree before it declares, is still found. A scan that opened
// every sibling at once could not.
func TestFamilyFewDescriptors(t *testing.T) {
	trees := familyTrees(t, 300)
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = 40
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	fam, err := NewFamily(trees)
	var r *Result
	if err == nil {
		r, err = Analyze(context.Background(), trees[0], Options{Name: "pkg0", Version: "1-r0", Family: fam})
	}
	var r2 *Result
	if err == nil {
		r2, err = Analyze(context.Background(), trees[0], Options{Name: "pkg0", Version: "1-r0", Siblings: trees[1:]})
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "depends with the family", r.Depends, []string{"so:libfoo.so.1"})
	equal(t, "depends with Siblings", r2.Depends, []string{"so:libfoo.so.1"})
}

// BenchmarkFamilyScan scans every tree of a build of n subpackages, as a
// build does: one NewFamily, then one Analyze per tree. The time per tree
// stays flat as n grows (it grew with n when every scan read every
// sibling).
func BenchmarkFamilyScan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			trees := familyTrees(b, n)
			ctx := context.Background()
			for b.Loop() {
				fam, err := NewFamily(trees)
				if err != nil {
					b.Fatal(err)
				}
				for i, tree := range trees {
					if _, err := Analyze(ctx, tree, Options{Name: fmt.Sprint("pkg", i), Version: "1-r0", Family: fam}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/tree")
		})
	}
}
