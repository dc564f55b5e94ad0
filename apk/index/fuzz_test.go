package index

import (
	"archive/tar"
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// fixtureText returns the APKINDEX text inside an index file, cut to at
// most limit records.
func fixtureText(t testing.TB, path string, limit int) []byte {
	_, unsigned, err := Split(mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(unsigned))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == "APKINDEX" {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			recs := strings.SplitAfterN(string(b), "\n\n", limit+1)
			return []byte(strings.Join(recs[:min(limit, len(recs))], ""))
		}
	}
}

func FuzzParseText(f *testing.F) {
	fx := fixture.Dir(f)
	f.Add(fixtureText(f, filepath.Join(fx, "alpine-316/APKINDEX.tar.gz"), 30))
	f.Add(fixtureText(f, filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz"), 10))
	f.Add(mustRead(f, "testdata/golden/APKINDEX"))
	f.Add([]byte("P:a\nV:1\nZ:x\nq:1\nr:b c\n\nP:b\nV:2"))
	f.Add([]byte("C:X1" + strings.Repeat("ab", 20) + "\nP:a\nV:1\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := ParseTextIndex(bytes.NewReader(data))
		if err != nil {
			return
		}
		for p := range ix.Uninstallable {
			found := false
			for _, q := range ix.Packages {
				found = found || p == q
			}
			if !found {
				t.Fatal("Uninstallable names a record that is not in Packages")
			}
		}
		// What can be written reads back to the same text.
		var first bytes.Buffer
		if err := ix.WriteText(&first); err != nil {
			return
		}
		again, err := ParseText(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("written text does not parse: %v\n%q", err, first.String())
		}
		if len(again) != len(ix.Packages) {
			t.Fatalf("%d records written, %d read back", len(ix.Packages), len(again))
		}
		var second bytes.Buffer
		if err := (&Index{Packages: again}).WriteText(&second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("not stable:\n%q\n%q", first.String(), second.String())
		}
	})
}

func FuzzRead(f *testing.F) {
	fx := fixture.Dir(f)
	f.Add(mustRead(f, filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz")))
	f.Add(mustRead(f, filepath.Join(fx, "rsa256-signed/APKINDEX.tar.gz")))
	f.Add(mustRead(f, "testdata/golden/APKINDEX.tar.gz"))
	var unsigned bytes.Buffer
	if err := Write(&unsigned, sampleIndex(), nil, 0); err != nil {
		f.Fatal(err)
	}
	f.Add(unsigned.Bytes())
	kr := keyring(f, "testdata/test.rsa.pub", filepath.Join(fx, "melange-repo/melange.rsa.pub"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := ReadBytes(data, kr, true)
		if err != nil {
			return
		}
		if ix.SignedBy != "" && len(ix.Signatures) == 0 {
			t.Fatal("SignedBy without signatures")
		}
		// Whatever reads can be written, and reads back the same.
		var b bytes.Buffer
		if err := Write(&b, ix, nil, 0); err != nil {
			return
		}
		back, err := ReadBytes(b.Bytes(), nil, true)
		if err != nil {
			t.Fatalf("written index does not read: %v", err)
		}
		if len(back.Packages) != len(ix.Packages) || back.Description != ix.Description {
			t.Fatalf("round trip: %d/%d packages, description %q/%q", len(back.Packages), len(ix.Packages), back.Description, ix.Description)
		}
	})
}
