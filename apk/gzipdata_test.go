package apk

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/klauspost/pgzip"
)

// The data member's bytes are pgzip's (melange's compressor) whether the
// stream is short enough for the single-writer path or not.
func TestDataGzipMakesPgzipBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 3<<20+100)
	for i := range text {
		text[i] = "pestle packs apk files\n"[rng.IntN(23)]
	}
	for _, n := range []int{0, 1, 10000, pgzipBlock - 1, pgzipBlock, pgzipBlock + 1, 3<<20 + 100} {
		data := text[:n]
		var want bytes.Buffer
		pz, _ := pgzip.NewWriterLevel(&want, pgzip.DefaultCompression)
		pz.ModTime = time.Unix(0, 0)
		if err := pz.SetConcurrency(pgzipBlock, 2); err != nil {
			t.Fatal(err)
		}
		pz.Write(data)
		if err := pz.Close(); err != nil {
			t.Fatal(err)
		}
		for _, chunk := range []int{1000, 64 << 10, pgzipBlock + 7} {
			var got bytes.Buffer
			zw := newDataGzip(&got)
			for rest := data; len(rest) > 0; {
				k := min(chunk, len(rest))
				if _, err := zw.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("%d bytes written %d at a time: %d compressed bytes differ from pgzip's %d", n, chunk, got.Len(), want.Len())
			}
		}
	}
}
