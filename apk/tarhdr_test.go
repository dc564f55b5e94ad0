package apk

import (
	"archive/tar"
	"bytes"
	"io"
	"strconv"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// fixtureHeaderBlocks returns every 512-byte block of the real packages'
// inflated members that archive/tar reads as a header on its own (the
// signature, control and data entries, PAX headers included), and says
// for each whether it is in a signature or control member.
func fixtureHeaderBlocks(t testing.TB) (blocks [][]byte, controlOrSig []bool) {
	t.Helper()
	for _, fx := range fixturePackages {
		for i, m := range members(t, readFixture(t, fx.file)) {
			zr, err := gzip.NewReader(bytes.NewReader(m))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			for off := 0; off+tarBlockSize <= len(plain); off += tarBlockSize {
				blk := plain[off : off+tarBlockSize]
				if _, err := tar.NewReader(bytes.NewReader(blk)).Next(); err == nil {
					blocks = append(blocks, blk)
					controlOrSig = append(controlOrSig, i < 2 && !bytes.Contains(blk[:100], []byte("/")))
				}
			}
		}
	}
	return blocks, controlOrSig
}

// checkTarHeader compares parseTarHeader with archive/tar on one block:
// whatever parseTarHeader accepts, archive/tar must read as a regular file
// of the same name and size.
func checkTarHeader(t *testing.T, blk []byte) bool {
	t.Helper()
	name, size, ok := parseTarHeader(blk)
	if !ok {
		return false
	}
	hdr, err := tar.NewReader(bytes.NewReader(blk)).Next()
	switch {
	case err != nil:
		t.Fatalf("parseTarHeader accepts %q (size %d), archive/tar says %v\n%q", name, size, err, blk)
	case hdr.Typeflag != tar.TypeReg || hdr.Name != string(name) || hdr.Size != size:
		t.Fatalf("parseTarHeader: %q, size %d; archive/tar: type %q %q, size %d", name, size, hdr.Typeflag, hdr.Name, hdr.Size)
	}
	return true
}

// TestParseTarHeaderFixtures reads every header of the real packages:
// each signature and control entry (USTAR from melange, GNU from abuild)
// must be accepted with archive/tar's name and size; the data entries
// (directories, PAX headers, names with "/") must be refused.
func TestParseTarHeaderFixtures(t *testing.T) {
	blocks, controlOrSig := fixtureHeaderBlocks(t)
	var accepted int
	for i, blk := range blocks {
		ok := checkTarHeader(t, blk)
		if ok != controlOrSig[i] {
			hdr, _ := tar.NewReader(bytes.NewReader(blk)).Next()
			t.Errorf("%q (type %q): accepted %v, want %v", hdr.Name, hdr.Typeflag, ok, controlOrSig[i])
		}
		if ok {
			accepted++
		}
	}
	if accepted < 2*len(fixturePackages) {
		t.Fatalf("only %d headers accepted", accepted)
	}
}

// TestParseTarHeaderVariants changes one field of a real control header
// at a time: what it must still accept (archive/tar agreeing) and what it
// must refuse.
func TestParseTarHeaderVariants(t *testing.T) {
	blocks, controlOrSig := fixtureHeaderBlocks(t)
	var base []byte
	for i, blk := range blocks {
		if controlOrSig[i] && string(blk[:8]) == ".PKGINFO" && string(blk[thMagic:thMagic+6]) == "ustar\x00" {
			base = blk
			break
		}
	}
	if base == nil {
		t.Fatal("no USTAR .PKGINFO header among the fixtures")
	}
	set := func(off int, s string) func([]byte) {
		return func(b []byte) { copy(b[off:], s) }
	}
	tests := []struct {
		name    string
		change  func([]byte)
		keepSum bool // leave the checksum as it was
		accept  bool
	}{
		{"unchanged", func([]byte) {}, false, true},
		{"V7 magic", set(thMagic, "\x00\x00\x00\x00\x00\x00\x00\x00"), false, true},
		{"GNU magic", set(thMagic, "ustar  \x00"), false, true},
		{"typeflag NUL", set(thTypeflag, "\x00"), false, true},
		{"size padded with spaces", set(thSize, " 0000000001 "), false, true},
		{"size ends in NUL early", set(thSize, "1\x00777777777\x00"), false, true},
		{"empty mode", set(thMode, "\x00\x00\x00\x00\x00\x00\x00\x00"), false, true},
		{"bad checksum", set(thName, ".PKGINFX"), true, false},
		{"zero block", func(b []byte) { clear(b) }, true, false},
		{"directory", set(thTypeflag, "5"), false, false},
		{"PAX header", set(thTypeflag, "x"), false, false},
		{"GNU long name", set(thTypeflag, "L"), false, false},
		{"name with slash", set(thName, "./PKGINFO"), false, false},
		{"empty name", set(thName, "\x00"), false, false},
		{"name prefix", set(thPrefix, "usr"), false, false},
		{"STAR trailer", set(thTrailer, "tar\x00"), false, false},
		{"GNU atime", func(b []byte) { copy(b[thMagic:], "ustar  \x00"); copy(b[thPrefix:], "12345670123\x00") }, false, false},
		{"GNU ctime", func(b []byte) { copy(b[thMagic:], "ustar  \x00"); copy(b[thGNUCtime:], "12345670123\x00") }, false, false},
		{"base-256 size", set(thSize, "\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"), false, false},
		{"digit 8 in size", set(thSize, "00000000008\x00"), false, false},
		{"sign in size", set(thSize, "+0000000001\x00"), false, false},
		{"bad uid", set(thUID, "x000000\x00"), false, false},
		{"bad devmajor", set(thDevMajor, "9999999\x00"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			blk := bytes.Clone(base)
			tt.change(blk)
			if !tt.keepSum {
				fixChecksum(blk)
			}
			if got := checkTarHeader(t, blk); got != tt.accept {
				t.Fatalf("accepted %v, want %v", got, tt.accept)
			}
		})
	}
	t.Run("signed checksum", func(t *testing.T) {
		blk := bytes.Clone(base)
		blk[thName+20] = 0xe9 // a byte that sums differently signed
		var signed int64
		for i, c := range blk {
			if i >= thChksum && i < thChksum+8 {
				c = ' '
			}
			signed += int64(int8(c))
		}
		copy(blk[thChksum:], strconv.FormatInt(signed, 8)+"\x00 ")
		if !checkTarHeader(t, blk) {
			t.Fatal("a header with a signed checksum is refused")
		}
	})
}

// fixChecksum writes the block's unsigned checksum as archive/tar does.
func fixChecksum(b []byte) {
	copy(b[thChksum:thChksum+8], "        ")
	var sum int64
	for _, c := range b {
		sum += int64(c)
	}
	s := strconv.FormatInt(sum, 8)
	copy(b[thChksum:], "000000"[:6-len(s)]+s+"\x00 ")
}

// FuzzParseTarHeader feeds arbitrary blocks: whatever parseTarHeader
// accepts, archive/tar reads as a regular file of the same name and size.
func FuzzParseTarHeader(f *testing.F) {
	blocks, _ := fixtureHeaderBlocks(f)
	for _, b := range blocks {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		blk := make([]byte, tarBlockSize)
		copy(blk, b)
		checkTarHeader(t, blk)
		fixChecksum(blk)
		checkTarHeader(t, blk)
	})
}
