package index

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// dumpLayout prints a layout, one segment a line.
func dumpLayout(l *layout) string {
	var b strings.Builder
	fmt.Fprintf(&b, "member %d bytes sha256 %x\n", l.size, l.sum)
	seg := func(name string, s *segment) {
		fmt.Fprintf(&b, "%-7s clen %6d ulen %6d crc %08x", name, s.clen, s.ulen, s.crc)
		if s.nrec > 0 {
			fmt.Fprintf(&b, " records %4d %s-%s .. %s-%s", s.nrec, s.first.name, s.first.version, s.last.name, s.last.version)
		}
		b.WriteByte('\n')
	}
	seg("header", &l.hdr)
	for i := range l.text {
		seg("text"+strconv.Itoa(i), &l.text[i])
	}
	seg("final", &l.final)
	return b.String()
}

// memberText reads the APKINDEX text of an index file with the standard
// library's gzip and tar readers, checking the DESCRIPTION entry follows.
func memberText(t testing.TB, data []byte) []byte {
	t.Helper()
	_, unsigned, err := Split(data)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(unsigned))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var text []byte
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == "APKINDEX" {
			text = b
		}
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, " ") != "APKINDEX DESCRIPTION" {
		t.Fatalf("entries %v", names)
	}
	return text
}

func TestSegmentedGolden(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	ix := &Index{Description: "segmented", Packages: benchPackages(450)}
	if err := WriteFile(path, ix, nil, goldenEpoch); err != nil {
		t.Fatal(err)
	}
	side := mustRead(t, sidecarPath(path))
	lay, err := parseSidecar(side, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(lay.text) < 3 {
		t.Fatalf("%d text segments, want several", len(lay.text))
	}
	fixture.Golden(t, filepath.Join("testdata", "golden", "segmented-layout.txt"), []byte(dumpLayout(lay)), *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "segmented.seg"), side, *update)

	// The standard library reads it as one ordinary member, and every
	// segment inflates on its own.
	data := mustRead(t, path)
	var want bytes.Buffer
	if err := ix.WriteText(&want); err != nil {
		t.Fatal(err)
	}
	if got := memberText(t, data); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("text read back differs: %s", firstDiff(got, want.Bytes()))
	}
	in := newInflater(data, lay)
	if _, err := in.checkEnds(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.records(0, len(lay.text)-1); err != nil {
		t.Fatal(err)
	}
}

// countingHandler counts log records whose message starts with prefix.
type countingHandler struct {
	slog.Handler
	prefix string
	n      *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countingHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, h.prefix) {
		h.n.Add(1)
	}
	return nil
}

// randomPackage makes a record whose name collides often with others'
// (case included) and whose version and arch vary.
func randomPackage(rng *rand.Rand) *apk.PackageInfo {
	names := []string{"a", "A", "busybox", "Busybox", "go", "go-doc", "zlib", "zz", "m"}
	name := names[rng.IntN(len(names))]
	if rng.IntN(3) == 0 {
		name += strconv.Itoa(rng.IntN(400))
	}
	p := fakePackage(name)
	p.Version = fmt.Sprintf("%d.%d-r%d", rng.IntN(3), rng.IntN(3), rng.IntN(2))
	p.Arch = []string{"x86_64", "aarch64", "noarch"}[rng.IntN(3)]
	p.Checksum = sum(fmt.Sprint(rng.Uint64()))
	p.Description = strings.Repeat("filler ", rng.IntN(60))
	return p
}

// TestFastMergeMatchesFull merges random batches into one repository
// through the segmented path and into another whose sidecar is removed
// first (the full path): the texts must stay equal, the signature verify
// and the segmented path be taken.
func TestFastMergeMatchesFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 1))
	fast, full := t.TempDir(), t.TempDir()
	var base []*apk.PackageInfo
	for range 1500 {
		base = append(base, randomPackage(rng))
	}
	signer := &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}
	var fastCount atomic.Int64
	log := slog.New(countingHandler{prefix: "merged into the index segment by segment", n: &fastCount})
	for _, dir := range []string{fast, full} {
		if err := Update(dir, base, UpdateOptions{Signer: signer, Description: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for i := range rounds {
		var batch []*apk.PackageInfo
		for range 1 + rng.IntN(4) {
			if rng.IntN(2) == 0 {
				p := *base[rng.IntN(len(base))] // a rebuild of an existing version
				p.Checksum = sum(fmt.Sprint("rebuild", rng.Uint64()))
				batch = append(batch, &p)
			} else {
				batch = append(batch, randomPackage(rng))
			}
		}
		desc := ""
		if i%10 == 3 {
			desc = "round " + strconv.Itoa(i)
		}
		opts := UpdateOptions{Signer: signer, Keyring: testKeyring(t), Description: desc, SourceDateEpoch: int64(i), Logger: log}
		if err := Update(fast, batch, opts); err != nil {
			t.Fatal(err)
		}
		os.Remove(sidecarPath(filepath.Join(full, FileName)))
		if err := Update(full, batch, opts); err != nil {
			t.Fatal(err)
		}
		a, b := mustRead(t, filepath.Join(fast, FileName)), mustRead(t, filepath.Join(full, FileName))
		if ta, tb := memberText(t, a), memberText(t, b); !bytes.Equal(ta, tb) {
			t.Fatalf("round %d: texts differ: %s", i, firstDiff(ta, tb))
		}
		ixa, err := ReadBytes(a, testKeyring(t), false)
		if err != nil {
			t.Fatal(err)
		}
		ixb, _ := ReadBytes(b, testKeyring(t), false)
		if ixa.Description != ixb.Description {
			t.Fatalf("round %d: description %q, want %q", i, ixa.Description, ixb.Description)
		}
	}
	if got := fastCount.Load(); got != int64(rounds) {
		t.Errorf("%d of %d merges took the segmented path", got, rounds)
	}
}

// TestSidecarFallback spoils the sidecar in many ways: every merge must
// still give the full path's text, and leave a sidecar that matches.
func TestSidecarFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2))
	var base []*apk.PackageInfo
	for range 1500 {
		base = append(base, randomPackage(rng))
	}
	seed := t.TempDir()
	if err := Update(seed, base, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	seedIndex := mustRead(t, filepath.Join(seed, FileName))
	good := mustRead(t, sidecarPath(filepath.Join(seed, FileName)))
	lay, err := parseSidecar(good, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A sidecar of an older state of the same repository.
	if err := Update(seed, []*apk.PackageInfo{randomPackage(rng)}, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	stale := mustRead(t, sidecarPath(filepath.Join(seed, FileName)))
	// Segment boundaries moved, everything else consistent.
	shifted := *lay
	shifted.text = append([]segment(nil), lay.text...)
	shifted.text[1].clen += 7
	shifted.text[2].clen -= 7
	// Keys claiming another order or other records.
	rekeyed := *lay
	rekeyed.text = append([]segment(nil), lay.text...)
	rekeyed.text[1].first = rekeyed.text[0].first

	cases := map[string][]byte{
		"good":      good,
		"empty":     {},
		"truncated": good[:len(good)/2],
		"stale":     stale,
		"shifted":   encodeSidecar(&shifted, nil),
		"rekeyed":   encodeSidecar(&rekeyed, nil),
		"trailing":  append(append([]byte(nil), good...), 0),
	}
	for i := 0; i < len(good); i += 1 + len(good)/40 {
		b := append([]byte(nil), good...)
		b[i] ^= byte(1 + rng.IntN(255))
		cases["flip"+strconv.Itoa(i)] = b
	}
	news := []*apk.PackageInfo{randomPackage(rng), base[17]}
	for name, side := range cases {
		t.Run(name, func(t *testing.T) {
			var fastCount atomic.Int64
			log := slog.New(countingHandler{prefix: "merged into the index segment by segment", n: &fastCount})
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, seedIndex, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Update(dir, news, UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			want := memberText(t, mustRead(t, path))
			if err := os.WriteFile(path, seedIndex, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(sidecarPath(path), side, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Update(dir, news, UpdateOptions{Logger: log}); err != nil {
				t.Fatal(err)
			}
			// Moved boundaries inside a run that is copied as it is do
			// not matter to this merge; everything else is noticed.
			if want := int64(map[string]int{"good": 1}[name]); name != "shifted" && fastCount.Load() != want {
				t.Errorf("%d segmented merges, want %d", fastCount.Load(), want)
			}
			data := mustRead(t, path)
			if got := memberText(t, data); !bytes.Equal(got, want) {
				t.Fatalf("text differs: %s", firstDiff(got, want))
			}
			nl, err := loadSidecar(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, unsigned, _ := Split(data)
			if m, _ := matchSidecar(path, unsigned, nil, slog.New(slog.DiscardHandler)); m == nil || dumpLayout(m) != dumpLayout(nl) {
				t.Error("the new sidecar does not describe the new index")
			}
		})
	}
}

// TestForeignIndexGetsSidecar merges into an index another tool wrote,
// beside a sidecar of another index: the sidecar is ignored and replaced.
func TestForeignIndexGetsSidecar(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := Update(dir, benchPackages(300), UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, mustRead(t, filepath.Join(fixture.Dir(t), "melange-repo/x86_64/APKINDEX.tar.gz")), 0o644)
	if err := Update(dir, []*apk.PackageInfo{fakePackage("new")}, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadFile(path, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Packages) > 10 || ix.Find("new", "1.0-r0") == nil {
		t.Errorf("merged index holds %d packages", len(ix.Packages))
	}
	_, unsigned, _ := Split(mustRead(t, path))
	if m, _ := matchSidecar(path, unsigned, nil, slog.New(slog.DiscardHandler)); m == nil {
		t.Error("no matching sidecar written")
	}
}

func FuzzSidecar(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, FileName)
	if err := WriteFile(path, &Index{Packages: benchPackages(400)}, nil, 0); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(sidecarPath(path))
	if err != nil {
		f.Fatal(err)
	}
	// The fuzzer varies the body; the checksum is appended to it, so the
	// parser sees mostly well-summed input.
	f.Add(good[:len(good)-32])
	f.Add([]byte(sidecarMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := append(body[:len(body):len(body)], sidecarSum(nil, body)...)
		l, err := parseSidecar(data, nil)
		if err != nil {
			return
		}
		again, err := parseSidecar(encodeSidecar(l, nil), nil)
		if err != nil || dumpLayout(again) != dumpLayout(l) {
			t.Fatalf("a parsed sidecar does not round-trip: %v", err)
		}
	})
}

// TestSidecarKey checks that the sidecar of a signed index is bound to
// the signing key.
func TestSidecarKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	signer := &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}
	if err := Update(dir, benchPackages(50), UpdateOptions{Signer: signer}); err != nil {
		t.Fatal(err)
	}
	other, err := keys.LoadPrivate("testdata/bench4096.rsa")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadSidecar(path, sidecarKey(signer)); err != nil {
		t.Errorf("with the signing key: %v", err)
	}
	for name, key := range map[string][]byte{"no key": nil, "another key": sidecarKey(&keys.Signer{Key: other})} {
		if _, err := loadSidecar(path, key); err == nil {
			t.Errorf("%s: the sidecar was accepted", name)
		}
	}
}

// TestFastMergeNothing rewrites only the header and trailer segments
// when no package is given, for a new DESCRIPTION.
func TestFastMergeNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := Update(dir, benchPackages(500), UpdateOptions{Description: "old"}); err != nil {
		t.Fatal(err)
	}
	before := memberText(t, mustRead(t, path))
	var fast atomic.Int64
	log := slog.New(countingHandler{prefix: "merged into the index segment by segment", n: &fast})
	if err := Update(dir, nil, UpdateOptions{Description: "new", Logger: log}); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadFile(path, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := memberText(t, mustRead(t, path)); !bytes.Equal(got, before) || ix.Description != "new" || fast.Load() != 1 {
		t.Errorf("text kept %v, description %q, segmented merges %d", bytes.Equal(got, before), ix.Description, fast.Load())
	}
}

// TestWriteSameAfterWarmUp: a compressor that has seen other bytes
// writes the same index.
func TestWriteSameAfterWarmUp(t *testing.T) {
	ix := &Index{Description: "d", Packages: benchPackages(300)}
	a, err := Marshal(ix, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		WarmUp()
		b, err := Marshal(ix, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("an index written after WarmUp differs")
		}
	}
}

// FuzzFastMerge merges into index members changed by the fuzzer, with a
// sidecar that claims the seed's segments and matches the changed bytes
// (as one forged for an unsigned index would). The merge must not panic;
// when it goes through and the changed member still reads in full, the
// result must read too and hold what the full path gives. The fuzzer's
// input is a list of changes (2 bytes of offset, 1 byte xored there), so
// it stays small.
func FuzzFastMerge(f *testing.F) {
	seed, lay, err := marshalIndex(&Index{Description: "d", Packages: benchPackages(400)}, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{0x10, 0x00, 0x01})                                        // in the header segment
	f.Add([]byte{byte(len(seed) - 20), byte((len(seed) - 20) >> 8), 0x40}) // in the final one
	news := []*apk.PackageInfo{fakePackage("origin50-dev"), benchPackages(400)[123]}
	news[1].Checksum = sum("rebuilt")
	f.Fuzz(func(t *testing.T, changes []byte) {
		data := append([]byte(nil), seed...)
		for i := 0; i+3 <= len(changes); i += 3 {
			data[int(binary.LittleEndian.Uint16(changes[i:]))%len(data)] ^= changes[i+2]
		}
		l := *lay
		l.sum = sha256.Sum256(data)
		res, err := fastMerge(data, &l, news, "", time.Unix(0, 0))
		if err != nil {
			if !errors.Is(err, errNotFast) {
				t.Fatal(err)
			}
			return
		}
		var text strings.Builder
		if _, err := walkContent(data, func(r io.Reader, _ int64) error { _, err := io.Copy(&text, r); return err }); err != nil {
			return // garbage in: the untouched segments are copied, not checked
		}
		merged, err := mergeText(text.String(), news, slog.New(slog.DiscardHandler))
		if err != nil {
			return
		}
		var want bytes.Buffer
		merged.writeTo(&want)
		if got := memberText(t, bytes.Join(res.parts, nil)); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("merged text differs from the full path: %s", firstDiff(got, want.Bytes()))
		}
	})
}
