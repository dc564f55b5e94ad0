package index

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// fixtureRecords are the real packages of testdata/fixtures with the C: and
// datahash prefix that fixtures/README.md gives for them.
var fixtureRecords = []struct{ file, checksum, datahash string }{
	{"melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk", "Q1m6wB0UFePGN8Drz82pC8y2uAiu8=", "72405aa6c68cbb91"},
	{"melange-repo/x86_64/replayout-1.0.0-r0.apk", "Q11/HhSewwwOXgl0r0ffb0O0BRtYc=", "ce688706f6aa287b"},
	{"melange-repo/x86_64/custom-ca-certs-1-1.0.0-r0.apk", "Q1L7EnY9Q9b23ejRHAmb0g09QaLEo=", "11dcde62711215a3"},
	{"alpine-316/alpine-baselayout-3.2.0-r23.apk", "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", "1a3a8e47d2287da6"},
	{"wolfi/hello-wolfi-2.12.1-r0.apk", "Q1j9huCmxqWKDR+abKskcY8e/aZMo=", "3a6c21f20a07bebf"},
}

// TestReadPackagesFixtures reads every real package for indexing: the
// records must carry the known C:, datahash and S:, and equal what a full
// read (with per-file checksums) finds.
func TestReadPackagesFixtures(t *testing.T) {
	var files []string
	for _, fx := range fixtureRecords {
		files = append(files, fixture.Path(t, fx.file))
	}
	infos, err := ReadPackages(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, fx := range fixtureRecords {
		got := infos[i]
		if !bytes.Equal(got.Checksum, q1(t, fx.checksum)) {
			t.Errorf("%s: C: %x, want %s", fx.file, got.Checksum, fx.checksum)
		}
		if !strings.HasPrefix(got.DataHash, fx.datahash) {
			t.Errorf("%s: datahash %s, want prefix %s", fx.file, got.DataHash, fx.datahash)
		}
		if st, _ := os.Stat(files[i]); got.FileSize != st.Size() {
			t.Errorf("%s: S: %d, want %d", fx.file, got.FileSize, st.Size())
		}
		full, err := apk.ReadFile(files[i], apk.ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, full.Info) {
			t.Errorf("%s: record %+v, a full read gives %+v", fx.file, got, full.Info)
		}
	}
}

// dataStart is the offset of a package's data member (its last gzip
// member). A bytes.Reader is an io.ByteReader, so the decoder stops at the
// end of each member.
func dataStart(t testing.TB, data []byte) int {
	t.Helper()
	br := bytes.NewReader(data)
	zr := new(gzip.Reader)
	var starts []int
	for {
		off := len(data) - br.Len()
		if err := zr.Reset(br); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			t.Fatal(err)
		}
		starts = append(starts, off)
	}
	return starts[len(starts)-1]
}

// TestReadPackagesRefuses damages real packages as an index must notice:
// each error names the file and the cause, every broken file is
// reported, in the order given, and the same on every run.
func TestReadPackagesRefuses(t *testing.T) {
	dir := t.TempDir()
	src := mustRead(t, fixture.Path(t, fixtureRecords[1].file))
	ds := dataStart(t, src)
	if ds < 100 || ds > len(src)-100 {
		t.Fatalf("data member at %d of %d", ds, len(src))
	}
	flip := func(off int) []byte { b := bytes.Clone(src); b[off] ^= 0x20; return b }
	tests := []struct {
		name, want string
		data       []byte
	}{
		{"data-first-byte-after-header", "datahash mismatch", flip(ds + 10)},
		{"data-middle", "datahash mismatch", flip(ds + (len(src)-ds)/2)},
		{"data-crc", "datahash mismatch", flip(len(src) - 6)},
		{"truncated", "datahash mismatch", src[:len(src)-100]},
		{"no-data", "ends after its control segment", src[:ds]},
		{"trailing-garbage", "datahash mismatch", append(bytes.Clone(src), "garbage"...)},
		{"control-flipped", "corrupted", flip(ds - 20)},
		{"not-a-package", "corrupted", []byte("hello")},
	}
	good := fixture.Path(t, fixtureRecords[0].file)
	var files []string
	for _, tt := range tests {
		f := filepath.Join(dir, tt.name+".apk")
		if err := os.WriteFile(f, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, good, f)
	}
	_, err := ReadPackages(files, nil)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(tests) {
		t.Fatalf("%d errors, want %d:\n%v", len(lines), len(tests), err)
	}
	for i, tt := range tests {
		if !strings.HasPrefix(lines[i], files[2*i+1]+": ") || !strings.Contains(lines[i], tt.want) {
			t.Errorf("%s: error %q, want the file name and %q", tt.name, lines[i], tt.want)
		}
		if n := strings.Count(lines[i], tt.name+".apk"); n != 1 {
			t.Errorf("%s: error %q names the file %d times, want once", tt.name, lines[i], n)
		}
	}
	if !errors.Is(err, apk.ErrCorrupted) {
		t.Errorf("err = %v, want one that is apk.ErrCorrupted", err)
	}
	for range 3 {
		if _, again := ReadPackages(files, nil); again.Error() != err.Error() {
			t.Fatalf("errors differ between runs:\n%v\n%v", err, again)
		}
	}
}

// TestReadPackagesManyInOrder reads many files on every CPU: the records
// come back in the order of the files.
func TestReadPackagesManyInOrder(t *testing.T) {
	var files []string
	for i := range 60 {
		files = append(files, fixture.Path(t, fixtureRecords[(i*7)%len(fixtureRecords)].file))
	}
	infos, err := ReadPackages(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if want := filepath.Base(f); infos[i].Filename() != want {
			t.Errorf("%d: %s read as %s", i, want, infos[i].Filename())
		}
	}
	if _, err := ReadPackages(nil, nil); err != nil {
		t.Errorf("no files: %v", err)
	}
}
