package apk

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// sameAsReadFile reads path with ir and with ReadFile in HashDataOnly
// mode, and fails unless both give the same record or the same error.
func sameAsReadFile(t *testing.T, ir *IndexReader, path string) *PackageInfo {
	t.Helper()
	got, err := ir.ReadFile(path)
	want, werr := ReadFile(path, ReadOptions{HashDataOnly: true})
	if fmt.Sprint(err) != fmt.Sprint(werr) {
		t.Fatalf("IndexReader: %v\nReadFile: %v", err, werr)
	}
	if werr != nil {
		return nil
	}
	if !reflect.DeepEqual(got, want.Info) {
		t.Fatalf("IndexReader read\n%+v\nReadFile read\n%+v", got, want.Info)
	}
	return got
}

func writeTemp(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIndexReaderFixtures reads every real package (abuild's and
// melange's, signed and larger than the read buffer): the same records as
// ReadFile, all of them without falling back.
func TestIndexReaderFixtures(t *testing.T) {
	dir := t.TempDir()
	ir := NewIndexReader()
	for i, fx := range fixturePackages {
		p := writeTemp(t, dir, fmt.Sprintf("%d.apk", i), readFixture(t, fx.file))
		if info := sameAsReadFile(t, ir, p); info == nil || info.Name+"-"+info.Version != fx.pkgver {
			t.Fatalf("%s: read %+v", fx.file, info)
		}
	}
	if s := ir.Stats(); s.Fast != len(fixturePackages) || s.Fallback != 0 {
		t.Fatalf("stats %+v, want all %d fast", s, len(fixturePackages))
	}
}

// TestIndexReaderDamaged damages the real packages (truncated, a byte
// changed in every segment, bytes appended, the signature removed, the
// members in another order): IndexReader must give exactly ReadFile's
// record or error each time.
func TestIndexReaderDamaged(t *testing.T) {
	dir := t.TempDir()
	ir := NewIndexReader()
	n := 0
	for _, fx := range fixturePackages {
		good := readFixture(t, fx.file)
		ms := members(t, good)
		variants := [][]byte{
			append(bytes.Clone(good), 0),
			append(bytes.Clone(good), 0x1f, 0x8b, 8, 0),
			bytes.Join(ms[1:], nil),
			bytes.Join([][]byte{ms[1], ms[0], ms[2]}, nil),
			bytes.Join([][]byte{ms[0], ms[0], ms[1], ms[2]}, nil),
			bytes.Join(ms[:2], nil),
			ms[0],
			{},
		}
		for cut := 1; cut < len(good); cut += 1 + len(good)/40 {
			variants = append(variants, good[:cut])
		}
		for off := 0; off < len(good); off += 1 + len(good)/150 {
			for _, x := range []byte{1, 0x80} {
				b := bytes.Clone(good)
				b[off] ^= x
				variants = append(variants, b)
			}
		}
		for _, v := range variants {
			n++
			sameAsReadFile(t, ir, writeTemp(t, dir, fmt.Sprintf("v%d.apk", n), v))
		}
	}
	if s := ir.Stats(); s.Fast == 0 || s.Fallback == 0 {
		t.Fatalf("stats %+v: both paths should have been taken", s)
	}
}

// TestIndexReaderLongControl reads a package whose control segment is
// longer than the read buffer: it is streamed by ReadFile.
func TestIndexReaderLongControl(t *testing.T) {
	good := readFixture(t, "melange-repo/x86_64/replayout-1.0.0-r0.apk")
	full, err := Read(bytes.NewReader(good), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, indexReadSize+1000)
	rand.Read(big)
	control, err := segmentMember([]segmentFile{{".PKGINFO", 0o644, full.PKGINFO}, {".melange.yaml", 0o644, big}}, time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	ir := NewIndexReader()
	p := writeTemp(t, t.TempDir(), "long.apk", append(control, members(t, good)[2]...))
	if info := sameAsReadFile(t, ir, p); info == nil || info.Name != "replayout" {
		t.Fatalf("read %+v", info)
	}
	if s := ir.Stats(); s.Fallback != 1 {
		t.Fatalf("stats %+v, want one fallback", s)
	}
}

// TestIndexReaderMissing: a file that cannot be opened is named as
// ReadFile names it.
func TestIndexReaderMissing(t *testing.T) {
	ir := NewIndexReader()
	if info := sameAsReadFile(t, ir, filepath.Join(t.TempDir(), "none.apk")); info != nil {
		t.Fatalf("read %+v from a missing file", info)
	}
}

// FuzzIndexReaderParse feeds arbitrary bytes to the in-memory path of
// IndexReader, whole and split as a file longer than the buffer is:
// whatever it accepts, Read in HashDataOnly mode accepts with the same
// record.
func FuzzIndexReaderParse(f *testing.F) {
	for _, fx := range fixturePackages {
		f.Add(readFixture(f, fx.file), uint16(2000))
	}
	ir := NewIndexReader()
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		var infos []*PackageInfo
		if info, ok := ir.parse(bytes.Clone(data), nil); ok {
			infos = append(infos, info)
		}
		if k := int(split); k < len(data) {
			if info, ok := ir.parse(bytes.Clone(data[:k]), bytes.NewReader(data[k:])); ok {
				infos = append(infos, info)
			}
		}
		if len(infos) == 0 {
			return
		}
		pkg, err := Read(bytes.NewReader(data), ReadOptions{HashDataOnly: true})
		if err != nil {
			t.Fatalf("IndexReader accepts what Read refuses: %v", err)
		}
		for _, info := range infos {
			if !reflect.DeepEqual(info, pkg.Info) {
				t.Fatalf("IndexReader read\n%+v\nRead read\n%+v", info, pkg.Info)
			}
		}
	})
}
