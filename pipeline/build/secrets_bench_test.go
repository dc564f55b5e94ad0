package build

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkHiddenScan times the walk that finds what an overlay workspace
// hides: every small file is searched for a private key. The tree is
// PESTLE_BENCH_TREE (make bench's large package: 12,000 files), or else
// 2,000 source-like files made here.
func BenchmarkHiddenScan(b *testing.B) {
	dir := os.Getenv("PESTLE_BENCH_TREE")
	if dir == "" {
		dir = b.TempDir()
		text := strings.Repeat("func f() { return 42 } // some source text\n", 200) // 8.8 KB
		for i := range 2000 {
			p := filepath.Join(dir, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%d.go", i))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for b.Loop() {
		f, err := newSourceFilter(dir, newSecrets("", log))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.hidden(); err != nil {
			b.Fatal(err)
		}
	}
}
