package index

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// benchPackageFiles writes n small signed package files shaped like the
// repository scripts/bench indexes (one README and its directories,
// RSA256 with a 4,096-bit key): 50 distinct packages, each under n/50
// names (signing 5,000 would take a minute; reading does not care).
func benchPackageFiles(b *testing.B, n int) []string {
	key, err := keys.LoadPrivate("testdata/bench4096.rsa")
	if err != nil {
		b.Fatal(err)
	}
	opts := apk.WriteOptions{SourceDateEpoch: 1700000000, Signer: &keys.Signer{Key: key, Name: "bench4096.rsa.pub"}}
	dir := b.TempDir()
	const distinct = 50
	var pkgs [distinct][]byte
	for i, info := range benchPackages(distinct) {
		info.Checksum, info.FileSize = nil, 0
		tree := filepath.Join(dir, "tree", info.Name)
		readme := filepath.Join(tree, "usr", "share", info.Name, "README")
		if err := os.MkdirAll(filepath.Dir(readme), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(readme, []byte(info.Name+" "+info.Version+"\n\nA package of the benchmark repository.\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		p := filepath.Join(dir, "pkg.apk")
		if err := apk.WriteFile(p, tree, info, opts); err != nil {
			b.Fatal(err)
		}
		if pkgs[i], err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	files := make([]string, n)
	for i := range files {
		files[i] = filepath.Join(dir, fmt.Sprintf("p%d.apk", i))
		if err := os.WriteFile(files[i], pkgs[i%distinct], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return files
}

// BenchmarkReadPackages5000 reads 5,000 small package files from a
// temporary directory for indexing, on every CPU: the per-file part of
// "pestle index" of scripts/bench's repository.
func BenchmarkReadPackages5000(b *testing.B) {
	files := benchPackageFiles(b, 5000)
	b.ReportAllocs()
	loopCPU(b, func() {
		if _, err := ReadPackages(files, nil); err != nil {
			b.Fatal(err)
		}
	})
}
