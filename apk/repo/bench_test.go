package repo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// BenchmarkIndexFromCache measures Index when the server answers 304: one
// conditional request on loopback, then the cached file is hashed, its
// signature verified and its records parsed.
func BenchmarkIndexFromCache(b *testing.B) {
	fx := fixture.Dir(b)
	alpineIndex, err := os.ReadFile(filepath.Join(fx, "alpine-316", "APKINDEX.tar.gz"))
	if err != nil {
		b.Fatal(err)
	}
	alpineKeys, err := keys.LoadKeyring(filepath.Join(fx, "alpine-316", "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, arch string
		kr         *keys.Keyring
		size       int64
		packages   int
	}{
		{"melange-4", "x86_64", melangeKeyring(b), 0, 4},
		{"alpine-4929", "aarch64", alpineKeys, int64(len(alpineIndex)), 4929},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := newServer(b)
			s.set("/os/aarch64/APKINDEX.tar.gz", alpineIndex)
			opts := testOptions(b)
			opts.Keyring, opts.Arch = c.kr, c.arch
			r, err := Open(b.Context(), s.URL+"/os", opts)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := r.Index(b.Context()); err != nil {
				b.Fatal(err)
			}
			if c.size > 0 {
				b.SetBytes(c.size)
			}
			b.ReportAllocs()
			for b.Loop() {
				ix, err := r.Index(b.Context())
				if err != nil {
					b.Fatal(err)
				}
				if len(ix.Packages) != c.packages {
					b.Fatalf("%d packages", len(ix.Packages))
				}
			}
			b.StopTimer()
			if _, _, nm := s.counts(r.loc.base.Path + "/" + c.arch + "/" + index.FileName); nm == 0 {
				b.Fatal("the server never answered 304")
			}
		})
	}
}
