package resolve

import (
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

func benchResolve(b *testing.B, world ...string) {
	r := alpineResolver(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Resolve(world); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveBuildBase resolves build-base (21 packages) against the
// 4,929-package Alpine 3.16 index, already indexed.
func BenchmarkResolveBuildBase(b *testing.B) { benchResolve(b, "build-base") }

// BenchmarkResolveAlpineBase resolves alpine-base (21 packages, a virtual
// choice and an install_if).
func BenchmarkResolveAlpineBase(b *testing.B) { benchResolve(b, "alpine-base") }

// BenchmarkNewAlpine316 indexes the 4,929 packages (parsing every token).
func BenchmarkNewAlpine316(b *testing.B) {
	pkgs := [][]*apk.PackageInfo{alpine316(b)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(pkgs, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
