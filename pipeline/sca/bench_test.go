package sca

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchTree lays out 400 files: 40 copies of the real glibc binary as
// programs and 40 as libraries, 80 scripts, 40 .pc files, 200 plain files.
func benchTree(b *testing.B) string {
	tree := b.TempDir()
	src := b.TempDir()
	extractAPK(b, helloAPK(b), src)
	hello, err := os.ReadFile(filepath.Join(src, "usr/bin/hello"))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 40 {
		writeFile(b, filepath.Join(tree, fmt.Sprintf("usr/bin/prog%d", i)), hello, 0o755)
		writeFile(b, filepath.Join(tree, fmt.Sprintf("usr/lib/libp%d.so.1", i)), hello, 0o755)
		writeFile(b, filepath.Join(tree, fmt.Sprintf("usr/lib/pkgconfig/p%d.pc", i)),
			[]byte(fmt.Sprintf("prefix=/usr\nName: p%d\nRequires: zlib >= 1, p%d\n", i, i+1)), 0o644)
	}
	for i := range 80 {
		writeFile(b, filepath.Join(tree, fmt.Sprintf("usr/bin/script%d", i)), []byte("#!/bin/bash\necho hi\n"), 0o755)
	}
	text := make([]byte, 8192)
	for i := range 200 {
		writeFile(b, filepath.Join(tree, fmt.Sprintf("usr/share/doc/p/file%d.txt", i)), text, 0o644)
	}
	return tree
}

func BenchmarkAnalyze(b *testing.B) {
	tree := benchTree(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Analyze(ctx, tree, Options{Name: "bench", Version: "1.0-r0"})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Depends) == 0 {
			b.Fatal("nothing found")
		}
	}
}
