package apk

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/pestle-dev/pestle/keys"
)

// inputModes are the two ways Read takes its input: from memory (an
// input that fits in the buffer) and streamed.
var inputModes = []struct {
	name   string
	stream bool
}{{"memory", false}, {"stream", true}}

// fixtureKeyring is the keyring a fixture verifies with (empty when its
// key is not included).
func fixtureKeyring(t testing.TB, key string) *keys.Keyring {
	if key == "" {
		return keys.NewKeyring()
	}
	return keyringOf(t, key)
}

// TestReadHashDataOnlyFixtures reads every real package in both modes:
// HashDataOnly must find the same signature, control, identity (C:),
// datahash and file size as a full read.
func TestReadHashDataOnlyFixtures(t *testing.T) {
	for _, fx := range fixturePackages {
		for _, mode := range inputModes {
			t.Run(fx.pkgver+"/"+mode.name, func(t *testing.T) {
				data := readFixture(t, fx.file)
				opts := ReadOptions{Keyring: fixtureKeyring(t, fx.key), AllowUntrusted: fx.untrustedOnly, stream: mode.stream}
				full, err := Read(bytes.NewReader(data), opts)
				if err != nil {
					t.Fatalf("full read: %v", err)
				}
				opts.HashDataOnly = true
				got, err := Read(bytes.NewReader(data), opts)
				if err != nil {
					t.Fatalf("HashDataOnly: %v", err)
				}
				if c := "Q1" + base64.StdEncoding.EncodeToString(got.Info.Checksum); c != fx.checksum {
					t.Errorf("C: %s, want %s", c, fx.checksum)
				}
				if !strings.HasPrefix(got.Info.DataHash, fx.datahash) {
					t.Errorf("datahash %s, want prefix %s", got.Info.DataHash, fx.datahash)
				}
				if got.Info.FileSize != int64(len(data)) {
					t.Errorf("FileSize %d, want %d", got.Info.FileSize, len(data))
				}
				if !reflect.DeepEqual(got, full) {
					t.Errorf("HashDataOnly read\n%+v\nfull read\n%+v", got, full)
				}
				if fx.key != "" && got.Verified != "melange.rsa.pub" {
					t.Errorf("Verified %q, want melange.rsa.pub", got.Verified)
				}
			})
		}
	}
}

// TestReadHashDataOnlyDetects damages every real package in the ways an
// index must not accept, and checks that HashDataOnly rejects each one as
// corrupted, with the expected reason.
func TestReadHashDataOnlyDetects(t *testing.T) {
	for _, fx := range fixturePackages {
		data := readFixture(t, fx.file)
		ms := members(t, data)
		dataStart := len(data) - len(ms[len(ms)-1])
		head := data[:dataStart]
		tests := []struct {
			name, want string
			data       []byte
		}{
			{"truncated at the data segment", "ends after its control segment", head},
			{"truncated in the gzip header", "does not start with a gzip header", data[:dataStart+2]},
			{"truncated after the gzip header", "datahash mismatch", data[:dataStart+10]},
			{"truncated in the middle", "datahash mismatch", data[:dataStart+(len(data)-dataStart)/2]},
			{"last byte missing", "datahash mismatch", data[:len(data)-1]},
			{"trailing zeros", "datahash mismatch", append(bytes.Clone(data), 0, 0, 0, 0)},
			{"trailing gzip member", "datahash mismatch", append(bytes.Clone(data), ms[len(ms)-1]...)},
			{"data segment is not gzip", "does not start with a gzip header", append(bytes.Clone(head), []byte("not a gzip member at all")...)},
			{"data member of another package", "datahash mismatch", append(bytes.Clone(head), members(t, readFixture(t, "wolfi/hello-wolfi-2.12.1-r0.apk"))[2]...)},
		}
		if fx.pkgver == "hello-wolfi-2.12.1-r0" {
			tests = tests[:len(tests)-1]
		}
		for _, tt := range tests {
			for _, mode := range inputModes {
				t.Run(fx.pkgver+"/"+tt.name+"/"+mode.name, func(t *testing.T) {
					_, err := Read(bytes.NewReader(tt.data), ReadOptions{HashDataOnly: true, stream: mode.stream,
						Keyring: fixtureKeyring(t, fx.key), AllowUntrusted: fx.untrustedOnly})
					if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), tt.want) {
						t.Fatalf("err = %v, want corrupted: %s", err, tt.want)
					}
					if !strings.HasPrefix(err.Error(), fx.pkgver+": ") {
						t.Errorf("message %q does not name the package", err)
					}
				})
			}
		}
	}
}

// TestReadHashDataOnlyFlippedData flips one byte at many offsets of the
// data member of every real package: past the gzip magic, each must fail
// on the datahash (the data is never inflated, so nothing else sees it).
func TestReadHashDataOnlyFlippedData(t *testing.T) {
	for _, fx := range fixturePackages {
		for _, mode := range inputModes {
			t.Run(fx.pkgver+"/"+mode.name, func(t *testing.T) {
				data := readFixture(t, fx.file)
				ms := members(t, data)
				dataStart := len(data) - len(ms[len(ms)-1])
				kr := fixtureKeyring(t, fx.key)
				step := (len(data)-dataStart)/100 + 1
				offsets := []int{dataStart, dataStart + 1, dataStart + 2, dataStart + 3, len(data) - 8, len(data) - 1}
				for off := dataStart + 4; off < len(data); off += step {
					offsets = append(offsets, off)
				}
				for _, off := range offsets {
					bad := bytes.Clone(data)
					bad[off] ^= 0x5a
					_, err := Read(bytes.NewReader(bad), ReadOptions{HashDataOnly: true, Keyring: kr, AllowUntrusted: fx.untrustedOnly, stream: mode.stream})
					want := "datahash mismatch"
					if off < dataStart+len(gzipMagic) {
						want = "does not start with a gzip header"
					}
					if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), want) {
						t.Fatalf("byte %d (data member byte %d) flipped: err = %v, want %s", off, off-dataStart, err, want)
					}
				}
			})
		}
	}
}

// TestReadHashDataOnlyControl checks that the control segment is still
// read in full: malformed .PKGINFO, a missing .PKGINFO, a changed control
// member (signature) and a wrong identity are all refused.
func TestReadHashDataOnlyControl(t *testing.T) {
	good := readFixture(t, "melange-repo/x86_64/replayout-1.0.0-r0.apk")
	ms := members(t, good)
	kr := keyringOf(t, "melange-repo/melange.rsa.pub")
	dataMember := ms[2]
	control := func(files ...segmentFile) []byte {
		m, err := segmentMember(files, time.Unix(1, 0))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	full, err := Read(bytes.NewReader(good), ReadOptions{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	pkginfo := full.PKGINFO
	concat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	wrongID := bytes.Clone(full.Info.Checksum)
	wrongID[0] ^= 1
	tests := []struct {
		name string
		data []byte
		opts ReadOptions
		is   error
		want string
	}{
		{"bad number in .PKGINFO", concat(control(segmentFile{".PKGINFO", 0o644, append(bytes.Clone(pkginfo), "size = many\n"...)}), dataMember),
			ReadOptions{}, ErrCorrupted, "bad number"},
		{"no pkgname", concat(control(segmentFile{".PKGINFO", 0o644, []byte("pkgver = 1-r0\n")}), dataMember),
			ReadOptions{}, ErrCorrupted, "missing pkgname"},
		{"no .PKGINFO", concat(control(segmentFile{".post-install", 0o755, []byte("#!/bin/sh\n")}), dataMember),
			ReadOptions{}, ErrCorrupted, "no .PKGINFO"},
		{"malformed datahash", concat(control(segmentFile{".PKGINFO", 0o644, []byte("pkgname = x\npkgver = 1-r0\ndatahash = zz\n")}), dataMember),
			ReadOptions{}, ErrCorrupted, "not 64 hex digits"},
		{"control replaced under the signature", concat(ms[0], control(segmentFile{".PKGINFO", 0o644, pkginfo}), dataMember),
			ReadOptions{Keyring: kr}, keys.ErrBadSignature, "does not verify"},
		{"truncated control member", concat(ms[0], ms[1][:len(ms[1])/2]),
			ReadOptions{Keyring: kr}, ErrCorrupted, "truncated"},
		{"identity mismatch", good, ReadOptions{ExpectChecksum: wrongID}, ErrCorrupted, "identity mismatch"},
		{"untrusted", good, ReadOptions{Keyring: keys.NewKeyring()}, keys.ErrUntrusted, "no key named"},
		{"ends after the signature", ms[0], ReadOptions{}, ErrCorrupted, "no .PKGINFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.HashDataOnly = true
			_, err := Read(bytes.NewReader(tt.data), tt.opts)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %v: %s", err, tt.is, tt.want)
			}
		})
	}
}

// TestReadHashDataOnlySkipsFileChecks documents the trade: a package
// whose datahash is right but whose per-file SHA-1 is wrong fails a full
// read and passes HashDataOnly, as it passes "apk index".
func TestReadHashDataOnlySkipsFileChecks(t *testing.T) {
	data := craft(t, dir("usr"), craftEntry{name: "usr/a", typ: '0', data: "a", sha1: strings.Repeat("0", 40)})
	if _, err := Read(bytes.NewReader(data), ReadOptions{}); !errors.Is(err, ErrCorrupted) {
		t.Fatalf("full read: err = %v, want a checksum mismatch", err)
	}
	pkg, err := Read(bytes.NewReader(data), ReadOptions{HashDataOnly: true})
	if err != nil || pkg.Info.Name != "crafted" || pkg.Info.FileSize != int64(len(data)) {
		t.Fatalf("HashDataOnly: %v", err)
	}
}

// TestReadHashDataOnlyLegacy reads a package without datahash, control
// and data in separate members: the data member feeds the identity, so a
// changed data byte shows as an identity mismatch.
func TestReadHashDataOnlyLegacy(t *testing.T) {
	ms := members(t, craft(t, dir("usr"), file("usr/a", "some content")))
	legacyControl, err := segmentMember([]segmentFile{{".PKGINFO", 0o644, []byte("pkgname = old\npkgver = 1-r0\n")}}, time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	data := append(legacyControl, ms[1]...)
	full, err := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(data), ReadOptions{SkipDataHash: true, HashDataOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Info.Checksum, full.Info.Checksum) || got.Info.FileSize != full.Info.FileSize {
		t.Errorf("identity %x size %d, full read has %x %d", got.Info.Checksum, got.Info.FileSize, full.Info.Checksum, full.Info.FileSize)
	}
	bad := bytes.Clone(data)
	bad[len(bad)-10] ^= 1
	_, err = Read(bytes.NewReader(bad), ReadOptions{SkipDataHash: true, HashDataOnly: true, ExpectChecksum: full.Info.Checksum})
	if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), "identity mismatch") {
		t.Fatalf("changed legacy data: err = %v, want identity mismatch", err)
	}
}

func TestReadHashDataOnlyRefusesEntries(t *testing.T) {
	data := readFixture(t, "melange-repo/x86_64/replayout-1.0.0-r0.apk")
	for name, opts := range map[string]ReadOptions{
		"ExtractTo": {HashDataOnly: true, ExtractTo: t.TempDir()},
		"OnEntry":   {HashDataOnly: true, OnEntry: func(Entry) error { return nil }},
	} {
		t.Run(name, func(t *testing.T) {
			opts.Source = "replayout.apk"
			_, err := Read(bytes.NewReader(data), opts)
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindInvalid || !strings.Contains(err.Error(), "cannot be combined with ExtractTo or OnEntry") {
				t.Fatalf("err = %v, want an invalid-options error", err)
			}
			if e.Package != "replayout.apk" {
				t.Errorf("error names %q, want the source", e.Package)
			}
		})
	}
}

// TestReadInputError checks that a read error in the middle of the input
// is reported as such, the same way whether the bytes before it fit in
// memory or not.
func TestReadInputError(t *testing.T) {
	boom := errors.New("boom")
	for _, fx := range []string{"melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk", "wolfi/hello-wolfi-2.12.1-r0.apk"} {
		data := readFixture(t, fx)
		for _, cut := range []int{0, 10, 700, len(data) / 2, len(data) - 1, len(data)} {
			var msgs []string
			for _, mode := range inputModes {
				for _, hashOnly := range []bool{false, true} {
					r := io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(boom))
					_, err := Read(r, ReadOptions{stream: mode.stream, HashDataOnly: hashOnly})
					if err == nil || !strings.Contains(err.Error(), "boom") {
						t.Fatalf("%s cut at %d, %s, HashDataOnly %v: err = %v, want the read error", fx, cut, mode.name, hashOnly, err)
					}
					if !hashOnly {
						msgs = append(msgs, err.Error())
					}
				}
			}
			if msgs[0] != msgs[1] {
				t.Errorf("%s cut at %d: from memory %q, streamed %q", fx, cut, msgs[0], msgs[1])
			}
		}
	}
}
