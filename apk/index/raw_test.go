package index

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// fullRewrite is what Update must be equivalent to: read everything,
// Merge, WriteText.
func fullRewrite(t testing.TB, text []byte, pkgs []*apk.PackageInfo) ([]byte, error) {
	ix, err := ParseTextIndex(bytes.NewReader(text))
	if err != nil {
		return nil, err
	}
	ix.Merge(pkgs...)
	var b bytes.Buffer
	err = ix.WriteText(&b)
	return b.Bytes(), err
}

func TestScanCanonical(t *testing.T) {
	var ours bytes.Buffer
	if err := sampleIndex().WriteText(&ours); err != nil {
		t.Fatal(err)
	}
	rec := "C:Q1" + strings.Repeat("A", 27) + "=\nP:a\nV:1\nS:1\nI:2\nT:\nU:\nL:\n"
	for _, tc := range []struct {
		name string
		text string
		ok   bool
	}{
		{"written by WriteText", ours.String(), true},
		{"empty", "", true},
		{"minimal", rec + "\n", true},
		{"extra blank lines", "\n" + rec + "\n\n\n" + rec + "\n", true},
		{"one-byte terminator", rec + "x\n", true},
		{"last record without blank line", rec, false},
		{"last line without newline", strings.TrimSuffix(rec, "\n"), false},
		{"missing L", strings.Replace(rec, "L:\n", "", 1) + "\n", false},
		{"out of order", strings.Replace(rec, "P:a\nV:1\n", "V:1\nP:a\n", 1) + "\n", false},
		{"repeated field", strings.Replace(rec, "T:\n", "T:\nT:\n", 1) + "\n", false},
		{"unknown field", rec + "Z:x\n\n", false},
		{"installed-db field", rec + "r:x\n\n", false},
		{"t:0", strings.Replace(rec, "L:\n", "L:\nt:0\n", 1) + "\n", false},
		{"leading zero", strings.Replace(rec, "S:1", "S:01", 1) + "\n", false},
		{"empty arch", strings.Replace(rec, "V:1\n", "V:1\nA:\n", 1) + "\n", false},
		{"double space", rec + "D:a  b\n\n", false},
		{"trailing space", rec + "D:a \n\n", false},
		{"X1 checksum", strings.Replace(rec, "C:Q1"+strings.Repeat("A", 27)+"=", "C:X1"+strings.Repeat("00", 20), 1) + "\n", false},
		{"unpadded checksum", strings.Replace(rec, strings.Repeat("A", 27)+"=", strings.Repeat("A", 28), 1) + "\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, ok := scanCanonical(tc.text)
			if ok != tc.ok {
				t.Fatalf("canonical = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			got, err := mergeRaw(recs, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fullRewrite(t, []byte(tc.text), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(joinRecords(got), want) {
				t.Errorf("raw records give\n%q\nthe full rewrite\n%q", joinRecords(got), want)
			}
		})
	}
}

// TestUpdateMatchesFullRewrite checks that Update gives the bytes of a full
// read + Merge + write, on indexes that take the fast path (written by
// pestle) and on ones that do not (melange's, Alpine's).
func TestUpdateMatchesFullRewrite(t *testing.T) {
	fx := fixture.Dir(t)
	var ours bytes.Buffer
	if err := Write(&ours, &Index{Description: "d", Packages: benchPackages(300)}, &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}, 0); err != nil {
		t.Fatal(err)
	}
	replaced := benchPackages(300)[7]
	replaced.Checksum = sum("rebuilt")
	replaced.Description = "rebuilt"
	pkgs := []*apk.PackageInfo{fakePackage("brand-new"), replaced, fakePackage("Zeta"), fakePackage("alpha")}
	for _, tc := range []struct {
		name      string
		data      []byte
		canonical bool
	}{
		{"pestle", ours.Bytes(), true},
		{"melange", mustRead(t, filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz")), false},
		{"alpine", mustRead(t, filepath.Join(fx, "alpine-316/APKINDEX.tar.gz")), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			old, err := ReadFile(path, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			_, unsigned, _ := Split(tc.data)
			if _, err := walkContent(unsigned, func(r io.Reader, _ int64) error { _, err := text.ReadFrom(r); return err }); err != nil {
				t.Fatal(err)
			}
			if _, ok := scanCanonical(text.String()); ok != tc.canonical {
				t.Errorf("canonical = %v, want %v", ok, tc.canonical)
			}

			old.Merge(pkgs...)
			var want bytes.Buffer
			if err := Write(&want, old, &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}, 42); err != nil {
				t.Fatal(err)
			}
			if err := Update(dir, pkgs, UpdateOptions{Signer: &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}, SourceDateEpoch: 42}); err != nil {
				t.Fatal(err)
			}
			if got := mustRead(t, path); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("Update differs from a full rewrite: %s", firstDiff(got, want.Bytes()))
			}
		})
	}
}

func TestUpdateRefusesBadNewPackage(t *testing.T) {
	dir := t.TempDir()
	if err := Update(dir, []*apk.PackageInfo{fakePackage("a")}, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, filepath.Join(dir, FileName))
	bad := fakePackage("b")
	bad.Checksum = nil
	if err := Update(dir, []*apk.PackageInfo{bad}, UpdateOptions{}); err == nil || !strings.Contains(err.Error(), "field C") {
		t.Errorf("err = %v", err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(dir, FileName)), before) {
		t.Error("the index changed")
	}
}

func FuzzScanCanonical(f *testing.F) {
	var ours bytes.Buffer
	if err := sampleIndex().WriteText(&ours); err != nil {
		f.Fatal(err)
	}
	f.Add(ours.Bytes())
	f.Add(fixtureText(f, fixture.Path(f, "alpine-316/APKINDEX.tar.gz"), 10))
	f.Add([]byte("C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:a\nV:1\nS:1\nI:2\nT:\nU:\nL:\nD:a b\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, ok := scanCanonical(string(data))
		if !ok {
			return
		}
		want, err := fullRewrite(t, data, nil)
		if err != nil {
			t.Fatalf("canonical text does not parse and write: %v", err)
		}
		got, err := mergeRaw(recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(joinRecords(got), want) {
			t.Fatalf("raw records give\n%q\nthe full rewrite\n%q", joinRecords(got), want)
		}
	})
}

// TestMergeSortedMatchesGeneral checks the fast merge into a sorted index
// against the replace-append-sort path on random records whose names and
// versions collide often, with several architectures and checksums per
// name and version.
func TestMergeSortedMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rec := func() rawRecord {
		k := recordKey{
			name:    []string{"a", "A", "b", "b-dev", "c"}[rng.IntN(5)],
			version: []string{"1.0-r0", "1.0-r1", "2-r0", "1.00-r0"}[rng.IntN(4)],
			arch:    []string{"x86_64", "noarch"}[rng.IntN(2)],
			sum:     []byte{byte(rng.IntN(3))},
		}
		return rawRecord{key: k, text: fmt.Sprintf("%v#%d", k, rng.Int())}
	}
	for range 3000 {
		recs := make([]rawRecord, rng.IntN(12))
		for i := range recs {
			recs[i] = rec()
		}
		slices.SortStableFunc(recs, compareRecords)
		news := make([]rawRecord, rng.IntN(5))
		for i := range news {
			news[i] = rec()
		}
		want := mergeGeneral(slices.Clone(recs), news)
		got := mergeSorted(recs, news)
		if !slices.EqualFunc(got, want, func(a, b rawRecord) bool { return a.text == b.text }) {
			t.Fatalf("recs %v\nnews %v\nfast    %v\ngeneral %v", recs, news, got, want)
		}
	}
}

// joinRecords renders sorted records as APKINDEX text.
func joinRecords(recs []rawRecord) []byte {
	var b bytes.Buffer
	(&mergedText{recs: recs}).writeTo(&b)
	return b.Bytes()
}
