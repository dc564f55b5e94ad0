package index

import (
	"archive/tar"
	"bytes"
	"crypto"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenEpoch = 1700000000

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := keys.LoadPrivate("testdata/test.rsa")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testKeyring(t testing.TB) *keys.Keyring {
	return keyring(t, "testdata/test.rsa.pub")
}

func firstDiff(got, want []byte) string {
	n := min(len(got), len(want))
	i := 0
	for i < n && got[i] == want[i] {
		i++
	}
	lo := max(0, i-40)
	return fmt.Sprintf("at byte %d (len %d vs %d)\ngot:  %q\nwant: %q", i, len(got), len(want),
		got[lo:min(len(got), i+40)], want[lo:min(len(want), i+40)])
}

// listing describes the gzip members and raw tar headers of an index file:
// every header field apk-tools or a reviewer cares about, and the number of
// zero blocks that end each member.
func listing(t testing.TB, data []byte) string {
	t.Helper()
	var b strings.Builder
	br := bytes.NewReader(data)
	for m := 1; br.Len() > 0; m++ {
		start := len(data) - br.Len()
		zr, err := gzip.NewReader(br)
		if err != nil {
			t.Fatalf("member %d: %v", m, err)
		}
		zr.Multistream(false)
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("member %d: %v", m, err)
		}
		fmt.Fprintf(&b, "gzip member %d: bytes %d..%d, %d bytes of tar\n", m, start, len(data)-br.Len(), len(raw))
		zeros := 0
		for off := 0; off+512 <= len(raw); {
			blk := raw[off : off+512]
			if bytes.Equal(blk, make([]byte, 512)) {
				zeros++
				off += 512
				continue
			}
			field := func(a, z int) string { return strings.TrimRight(string(blk[a:z]), "\x00") }
			size, err := strconv.ParseInt(strings.TrimSpace(field(124, 136)), 8, 64)
			if err != nil {
				t.Fatalf("size field %q", field(124, 136))
			}
			fmt.Fprintf(&b, "  %-45s type=%q mode=%q uid=%q gid=%q size=%q mtime=%q magic=%q uname=%q gname=%q\n",
				field(0, 100), blk[156], field(100, 108), field(108, 116), field(116, 124), field(124, 136),
				field(136, 148), string(blk[257:265]), field(265, 297), field(297, 329))
			off += 512 + int((size+511)/512*512)
		}
		fmt.Fprintf(&b, "  end-of-archive zero blocks: %d\n", zeros)
	}
	return b.String()
}

func sampleIndex() *Index {
	return &Index{Description: "pestle test repository", Packages: samplePackages()}
}

func TestGoldenText(t *testing.T) {
	var b bytes.Buffer
	if err := sampleIndex().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "golden", "APKINDEX"), b.Bytes(), *update)
}

func TestGoldenArchive(t *testing.T) {
	var signed, unsigned bytes.Buffer
	if err := Write(&signed, sampleIndex(), &keys.Signer{Key: testKey(t), Name: "test.rsa.pub", Hash: crypto.SHA256}, goldenEpoch); err != nil {
		t.Fatal(err)
	}
	if err := Write(&unsigned, sampleIndex(), nil, goldenEpoch); err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "golden", "APKINDEX.tar.gz"), signed.Bytes(), *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "listing-signed.txt"), []byte(listing(t, signed.Bytes())), *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "listing-unsigned.txt"), []byte(listing(t, unsigned.Bytes())), *update)
	if !bytes.HasSuffix(signed.Bytes(), unsigned.Bytes()) {
		t.Error("the signed index is not the signature member followed by the unsigned index")
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	key := testKey(t)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		t.Run(h.String(), func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, sampleIndex(), &keys.Signer{Key: key, Name: "test.rsa.pub", Hash: h}, goldenEpoch); err != nil {
				t.Fatal(err)
			}
			ix, err := Read(bytes.NewReader(b.Bytes()), testKeyring(t), false)
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := keys.TypeForHash(h)
			if ix.SignedBy != "test.rsa.pub" || ix.Signatures[0].Type != typ {
				t.Errorf("signed by %q type %q", ix.SignedBy, ix.Signatures[0].Type)
			}
			if ix.Description != "pestle test repository" || len(ix.Packages) != len(samplePackages()) {
				t.Errorf("description %q, %d packages", ix.Description, len(ix.Packages))
			}
			// Rewriting what was read gives the same bytes.
			var again bytes.Buffer
			if err := Write(&again, ix, &keys.Signer{Key: key, Name: "test.rsa.pub", Hash: h}, goldenEpoch); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), b.Bytes()) {
				t.Errorf("rewrite is not byte-identical: %s", firstDiff(again.Bytes(), b.Bytes()))
			}
		})
	}
}

func TestReadRefuses(t *testing.T) {
	var signed, unsigned bytes.Buffer
	if err := Write(&signed, sampleIndex(), &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := Write(&unsigned, sampleIndex(), nil, 0); err != nil {
		t.Fatal(err)
	}
	sigLen := signed.Len() - unsigned.Len()
	flip := func(data []byte, at int) []byte {
		c := bytes.Clone(data)
		c[at] ^= 0x01
		return c
	}
	kr := testKeyring(t)
	for _, tc := range []struct {
		name           string
		data           []byte
		allowUntrusted bool
		is             error
		text           string
	}{
		{"unsigned", unsigned.Bytes(), false, ErrUnsigned, "not signed"},
		{"unsigned is untrusted", unsigned.Bytes(), false, keys.ErrUntrusted, ""},
		{"tampered content", flip(signed.Bytes(), signed.Len()-20), true, keys.ErrBadSignature, ""},
		{"tampered signature", flip(signed.Bytes(), sigLen/2), true, nil, ""},
		{"trailing garbage", append(bytes.Clone(unsigned.Bytes()), "junk"...), true, ErrFormat, ""},
		{"trailing zeros", append(bytes.Clone(unsigned.Bytes()), make([]byte, 100)...), true, ErrFormat, ""},
		{"truncated", signed.Bytes()[:signed.Len()-10], true, nil, ""},
		{"signature member only", signed.Bytes()[:sigLen], true, ErrFormat, "nothing follows"},
		{"not gzip", []byte("hello"), true, ErrFormat, "not gzip"},
		{"empty", nil, true, ErrFormat, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data), kr, tc.allowUntrusted)
			if err == nil {
				t.Fatal("accepted")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want %q", err, tc.text)
			}
		})
	}
	if ix, err := Read(bytes.NewReader(unsigned.Bytes()), kr, true); err != nil || ix.SignedBy != "" || len(ix.Signatures) != 0 {
		t.Errorf("unsigned with allowUntrusted: %v", err)
	}
}

// TestFirstKnownSignatureDecides mirrors apk-tools: among several signature
// entries, the first whose key is known is the one checked.
func TestFirstKnownSignatureDecides(t *testing.T) {
	unsigned, err := Marshal(sampleIndex(), 0)
	if err != nil {
		t.Fatal(err)
	}
	key := testKey(t)
	other, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := Sign(unsigned, &keys.Signer{Key: key, Name: "test.rsa.pub", Hash: crypto.SHA512}, 0)
	unknown, _ := Sign(unsigned, &keys.Signer{Key: other, Name: "unknown.rsa.pub", Hash: crypto.SHA1}, 0)
	bad, _ := Sign(unsigned, &keys.Signer{Key: other, Name: "test.rsa.pub", Hash: crypto.SHA256}, 0)
	members := func(sigs ...[]byte) []byte {
		// Re-pack several signature entries into one member.
		var all []apk.Signature
		for _, s := range sigs {
			got, _, err := Split(append(bytes.Clone(s), unsigned...))
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, got...)
		}
		return append(signatureMember(t, all), unsigned...)
	}
	kr := testKeyring(t)
	ix, err := ReadBytes(members(unknown, good, bad), kr, false)
	if err != nil || ix.SignedBy != "test.rsa.pub" || len(ix.Signatures) != 3 {
		t.Errorf("unknown, good, bad: %v (signed by %q)", err, ix.SignedBy)
	}
	if _, err := ReadBytes(members(unknown, bad, good), kr, true); !errors.Is(err, keys.ErrBadSignature) {
		t.Errorf("unknown, bad, good: err = %v, want bad signature", err)
	}
	if _, err := ReadBytes(members(unknown), kr, false); !errors.Is(err, keys.ErrUntrusted) || !strings.Contains(err.Error(), "unknown.rsa.pub") {
		t.Errorf("unknown only: err = %v, want untrusted naming the key", err)
	}
}

// signatureMember packs sigs into one gzip member, with end-of-archive
// blocks (which Split tolerates) when there are several.
func signatureMember(t *testing.T, sigs []apk.Signature) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	for _, s := range sigs {
		one, err := rawSigEntry(s)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(one)
	}
	if len(sigs) > 1 {
		zw.Write(make([]byte, 1024))
	}
	zw.Close()
	return out.Bytes()
}

func rawSigEntry(s apk.Signature) ([]byte, error) {
	hdr := entryHeader(s.EntryName(), len(s.Value), time.Unix(0, 0))
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	tw.Write(s.Value)
	tw.Flush()
	return b.Bytes(), nil
}

func TestSplit(t *testing.T) {
	fx := fixture.Dir(t)
	data := mustRead(t, filepath.Join(fx, "alpine-316/APKINDEX.tar.gz"))
	sigs, unsigned, err := Split(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || sigs[0].KeyName != "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub" {
		t.Errorf("sigs = %+v", sigs)
	}
	again, rest, err := Split(unsigned)
	if err != nil || len(again) != 0 || !bytes.Equal(rest, unsigned) {
		t.Errorf("Split of the unsigned part: %d sigs, %v", len(again), err)
	}
	if _, err := Read(bytes.NewReader(unsigned), nil, true); err != nil {
		t.Errorf("unsigned part does not read: %v", err)
	}
}

func TestMerge(t *testing.T) {
	a1 := &apk.PackageInfo{Name: "a", Version: "1", Checksum: sum("a1")}
	a1new := &apk.PackageInfo{Name: "a", Version: "1", Checksum: sum("a1 rebuilt")}
	a2 := &apk.PackageInfo{Name: "a", Version: "2", Checksum: sum("a2")}
	b1 := &apk.PackageInfo{Name: "b", Version: "1", Checksum: sum("b1")}
	ix := &Index{Packages: []*apk.PackageInfo{a1, b1}, Uninstallable: map[*apk.PackageInfo]string{a1: "Z"}}
	ix.Merge(a2, nil, a1new)
	if len(ix.Packages) != 3 || ix.Packages[0] != a1new || ix.Packages[1] != b1 || ix.Packages[2] != a2 {
		t.Errorf("packages = %s", dump(ix.Packages))
	}
	if len(ix.Uninstallable) != 0 {
		t.Error("replaced record still marked uninstallable")
	}
	dup1 := &apk.PackageInfo{Name: "c", Version: "1", Checksum: sum("c first")}
	dup2 := &apk.PackageInfo{Name: "c", Version: "1", Checksum: sum("c second")}
	ix.Merge(dup1, dup2)
	if len(ix.Packages) != 4 || ix.Find("c", "1") != dup2 {
		t.Errorf("later duplicate should win: %s", dump(ix.Packages))
	}
	ix.Merge()
	if len(ix.Packages) != 4 {
		t.Error("empty merge changed the index")
	}
}

func TestWriteRefuses(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sampleIndex(), &keys.Signer{Key: testKey(t), Name: ""}, 0); err == nil || !strings.Contains(err.Error(), "public key's file name") {
		t.Errorf("no key name: %v", err)
	}
	if err := Write(&b, sampleIndex(), &keys.Signer{Key: testKey(t), Name: "k.pub", Hash: crypto.MD5}, 0); err == nil {
		t.Error("MD5 accepted")
	}
	if err := Write(&b, sampleIndex(), nil, -1); err == nil {
		t.Error("negative epoch accepted")
	}
	long := strings.Repeat("k", 200) + ".rsa.pub"
	b.Reset()
	if err := Write(&b, sampleIndex(), &keys.Signer{Key: testKey(t), Name: long}, 0); err != nil {
		t.Fatalf("long key name: %v", err)
	}
	ix, err := Read(&b, keyring(t), true)
	if err != nil || ix.Signatures[0].KeyName != long {
		t.Errorf("long key name read back: %v", err)
	}
}
