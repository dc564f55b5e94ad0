package index

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
)

// TestMarshalPackagesMatchesText checks that rendering records segment by
// segment gives the bytes and layout of cutting WriteText's whole text,
// around the sizes where segments are cut.
func TestMarshalPackagesMatchesText(t *testing.T) {
	all := benchPackages(700)
	long := *all[0]
	long.Description = strings.Repeat("long ", segmentText/5+3) // one record over a segment
	all[5] = &long
	for _, n := range []int{0, 1, 2, 150, 151, 152, 300, 700} {
		ix := &Index{Description: "d", Packages: all[:n]}
		got, glay, err := marshalIndex(ix, 7)
		if err != nil {
			t.Fatal(err)
		}
		var text bytes.Buffer
		if err := ix.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		want, wlay, err := marshalSegmented(&mergedText{whole: text.Bytes()}, "d", time.Unix(7, 0))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d records: member differs: %s", n, firstDiff(got, want))
		}
		if g, w := string(encodeSidecar(glay, nil)), string(encodeSidecar(wlay, nil)); g != w {
			t.Errorf("%d records: layouts differ:\n%s\nwant\n%s", n, dumpLayout(glay), dumpLayout(wlay))
		}
	}
}

// TestMarshalPackagesRefuses checks that a bad record anywhere stops the
// write with WriteText's error.
func TestMarshalPackagesRefuses(t *testing.T) {
	pkgs := benchPackages(600)
	bad := *pkgs[450]
	bad.Depends = []string{"a b"}
	pkgs[450] = &bad
	ix := &Index{Packages: pkgs}
	_, _, err := marshalIndex(ix, 0)
	werr := ix.WriteText(&bytes.Buffer{})
	if err == nil || werr == nil || err.Error() != werr.Error() {
		t.Fatalf("error %v, want %v", err, werr)
	}
}

// TestSortedUnique checks the records Build writes against Index.Merge
// followed by WriteText's order, on records that share names and
// versions in every way (same arch or not, given in any order).
func TestSortedUnique(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for round := range 50 {
		var pkgs []*apk.PackageInfo
		for range rng.IntN(40) {
			p := randomPackage(rng)
			p.Version = []string{"1", "1.0", "2", "01"}[rng.IntN(4)]
			pkgs = append(pkgs, p)
		}
		if round%5 == 0 && len(pkgs) > 0 {
			pkgs = append(pkgs, nil, pkgs[0])
		}
		ix := &Index{}
		ix.Merge(pkgs...)
		want := sorted(ix.Packages)
		if got := sortedUnique(pkgs); !slices.Equal(got, want) {
			t.Fatalf("round %d: %d records, want %d (the same pointers, in order)", round, len(got), len(want))
		}
	}
}
