package apk

import (
	"bytes"
	stdflate "compress/flate"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/flate"
)

// klauspostInflate is the reference: the output of klauspost's decoder
// and the bytes of in it took, or ok false where it fails.
func klauspostInflate(in []byte, limit int) (out []byte, used int, ok bool) {
	br := bytes.NewReader(in)
	out, err := io.ReadAll(io.LimitReader(flate.NewReader(br), int64(limit)+1))
	if err != nil || len(out) > limit {
		return nil, 0, false
	}
	return out, len(in) - br.Len(), true
}

// sameInflate fails unless smallInflater and klauspost agree on in.
func sameInflate(t *testing.T, d *smallInflater, in []byte) {
	t.Helper()
	const limit = 1 << 20
	want, wused, wok := klauspostInflate(in, limit)
	got, used, ok := d.inflate(in, nil, limit)
	if ok != wok || !bytes.Equal(got, want) || used != wused {
		t.Fatalf("smallInflater: ok %v, %d bytes, used %d; klauspost: ok %v, %d bytes, used %d",
			ok, len(got), used, wok, len(want), wused)
	}
}

// deflateSeeds are streams of every block type and size: the members of
// the real packages, and random and repetitive text compressed by both
// compressors at every level, with bytes after the end.
func deflateSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, fx := range fixturePackages {
		data := readFixture(t, fx.file)
		for off := 0; off+10 < len(data); {
			seeds = append(seeds, data[off+10:])
			_, used, ok := klauspostInflate(data[off+10:], 64<<20)
			if !ok {
				break
			}
			off += 10 + used + 8
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, 1000, 5000, 70000} {
		text := make([]byte, n)
		for i := range text {
			text[i] = "abcdefgh \n"[rng.IntN(10)]
			if i%97 == 0 {
				text[i] = byte(rng.IntN(256))
			}
		}
		for level := -2; level <= 9; level++ {
			var b bytes.Buffer
			w, _ := flate.NewWriter(&b, level)
			w.Write(text)
			w.Close()
			seeds = append(seeds, append(b.Bytes(), 1, 2, 3))
			b.Reset()
			sw, _ := stdflate.NewWriter(&b, level)
			sw.Write(text)
			sw.Flush()
			sw.Write(text[:n/2])
			sw.Close()
			seeds = append(seeds, b.Bytes())
		}
	}
	return seeds
}

// TestSmallInflater checks the seeds, every truncation of a few of them,
// and single bit flips.
func TestSmallInflater(t *testing.T) {
	var d smallInflater
	rng := rand.New(rand.NewPCG(7, 7))
	for i, s := range deflateSeeds(t) {
		sameInflate(t, &d, s)
		if i%5 == 0 && len(s) < 4000 {
			for k := range len(s) {
				sameInflate(t, &d, s[:k])
			}
		}
		for range 20 {
			if len(s) == 0 {
				break
			}
			c := bytes.Clone(s)
			c[rng.IntN(len(c))] ^= 1 << rng.IntN(8)
			sameInflate(t, &d, c)
		}
	}
}

// FuzzInflate holds smallInflater to klauspost's decoder on any input.
func FuzzInflate(f *testing.F) {
	for _, s := range deflateSeeds(f) {
		f.Add(s)
	}
	var d smallInflater
	f.Fuzz(func(t *testing.T, in []byte) {
		sameInflate(t, &d, in)
	})
}
