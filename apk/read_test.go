package apk

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// fixturePackages lists every real package in testdata/fixtures with its key
// (empty: not included), the known C: and datahash prefix from
// fixtures/README.md, and facts read from the files themselves.
var fixturePackages = []struct {
	file, key, pkgver, checksum, datahash, sigType string
	untrustedOnly                                  bool
}{
	{"melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk", "melange-repo/melange.rsa.pub", "pretend-baselayout-1.0.0-r0", "Q1m6wB0UFePGN8Drz82pC8y2uAiu8=", "72405aa6c68cbb91", "RSA256", false},
	{"melange-repo/x86_64/replayout-1.0.0-r0.apk", "melange-repo/melange.rsa.pub", "replayout-1.0.0-r0", "Q11/HhSewwwOXgl0r0ffb0O0BRtYc=", "ce688706f6aa287b", "RSA256", false},
	{"melange-repo/x86_64/custom-ca-certs-1-1.0.0-r0.apk", "melange-repo/melange.rsa.pub", "custom-ca-certs-1-1.0.0-r0", "Q1L7EnY9Q9b23ejRHAmb0g09QaLEo=", "11dcde62711215a3", "RSA256", false},
	{"alpine-316/alpine-baselayout-3.2.0-r23.apk", "", "alpine-baselayout-3.2.0-r23", "Q1LLq2qDNrS/qRnhxQ3hsY/sHbQnc=", "1a3a8e47d2287da6", "RSA", true},
	{"wolfi/hello-wolfi-2.12.1-r0.apk", "", "hello-wolfi-2.12.1-r0", "Q1j9huCmxqWKDR+abKskcY8e/aZMo=", "3a6c21f20a07bebf", "RSA", true},
}

func TestReadFixturesVerify(t *testing.T) {
	for _, fx := range fixturePackages {
		t.Run(fx.pkgver, func(t *testing.T) {
			data := readFixture(t, fx.file)
			kr := keys.NewKeyring()
			if fx.key != "" {
				kr = keyringOf(t, fx.key)
			}
			var entries []Entry
			pkg, err := Read(bytes.NewReader(data), ReadOptions{Keyring: kr, AllowUntrusted: fx.untrustedOnly,
				OnEntry: func(e Entry) error { entries = append(entries, e); return nil }})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if got := pkg.Info.Name + "-" + pkg.Info.Version; got != fx.pkgver {
				t.Errorf("pkgver %s, want %s", got, fx.pkgver)
			}
			if got := "Q1" + base64.StdEncoding.EncodeToString(pkg.Info.Checksum); got != fx.checksum {
				t.Errorf("C: %s, want %s", got, fx.checksum)
			}
			if !strings.HasPrefix(pkg.Info.DataHash, fx.datahash) {
				t.Errorf("datahash %s, want prefix %s", pkg.Info.DataHash, fx.datahash)
			}
			if pkg.Info.FileSize != int64(len(data)) {
				t.Errorf("FileSize %d, want %d", pkg.Info.FileSize, len(data))
			}
			if len(pkg.Signatures) != 1 || pkg.Signatures[0].Type != fx.sigType {
				t.Errorf("signatures %+v, want one %s", pkg.Signatures, fx.sigType)
			}
			wantVerified := ""
			if fx.key != "" {
				wantVerified = "melange.rsa.pub"
			}
			if pkg.Verified != wantVerified {
				t.Errorf("Verified %q, want %q", pkg.Verified, wantVerified)
			}
			if len(entries) == 0 {
				t.Fatal("no data entries")
			}
			for _, e := range entries {
				if (e.Type == '0' || e.Type == '2') && len(e.SHA1) != 20 {
					t.Errorf("%s: no SHA-1", e.Name)
				}
				if strings.HasSuffix(e.Name, "/") {
					t.Errorf("%s: entry name keeps its trailing slash", e.Name)
				}
			}
		})
	}
}

func TestReadFixtureControlAndPKGINFO(t *testing.T) {
	pkg, err := ReadFile(fixture.Path(t, "alpine-316/alpine-baselayout-3.2.0-r23.apk"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade"} {
		if len(pkg.Control[s]) == 0 {
			t.Errorf("control entry %s missing (have %d entries)", s, len(pkg.Control))
		}
	}
	if _, ok := pkg.Control[".PKGINFO"]; ok {
		t.Error(".PKGINFO must not be in Control")
	}
	if pkg.Info.Size != 339968 || pkg.Info.Arch != "x86_64" && pkg.Info.Arch != "aarch64" {
		t.Errorf("size %d arch %s", pkg.Info.Size, pkg.Info.Arch)
	}
	sig := pkg.Signatures[0]
	if sig.KeyName != "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub" || sig.Hash != crypto.SHA1 || len(sig.Value) != 512 {
		t.Errorf("signature %s %v %d bytes", sig.KeyName, sig.Hash, len(sig.Value))
	}
	pkg, err = ReadFile(fixture.Path(t, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk"), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Control[".melange.yaml"]) != 1569 {
		t.Errorf(".melange.yaml is %d bytes, want 1569", len(pkg.Control[".melange.yaml"]))
	}
}

// TestReadFixturesTrust checks the three outcomes of signature checking
// on real packages: untrusted (no key of that name), bad (a key of that
// name that does not verify), and the error text.
func TestReadFixturesTrust(t *testing.T) {
	unrelated := keyringOf(t, "alpine-316/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub")
	for _, fx := range fixturePackages {
		t.Run("untrusted/"+fx.pkgver, func(t *testing.T) {
			_, err := ReadFile(fixture.Path(t, fx.file), ReadOptions{Keyring: unrelated})
			if !errors.Is(err, keys.ErrUntrusted) || errors.Is(err, keys.ErrBadSignature) || errors.Is(err, ErrCorrupted) {
				t.Fatalf("err = %v, want only untrusted", err)
			}
			if !strings.HasPrefix(err.Error(), fx.pkgver+": untrusted signature: ") {
				t.Errorf("message %q does not name the package", err)
			}
			pkg, err := ReadFile(fixture.Path(t, fx.file), ReadOptions{Keyring: unrelated, AllowUntrusted: true})
			if err != nil || pkg.Verified != "" {
				t.Fatalf("AllowUntrusted: %v (verified %q)", err, pkg.Verified)
			}
		})
	}
	// hello-wolfi is signed .SIGN.RSA.melange.rsa.pub by another key than
	// the melange-repo key of the same name.
	_, err := ReadFile(fixture.Path(t, "wolfi/hello-wolfi-2.12.1-r0.apk"), ReadOptions{Keyring: keyringOf(t, "melange-repo/melange.rsa.pub")})
	if !errors.Is(err, keys.ErrBadSignature) || errors.Is(err, keys.ErrUntrusted) {
		t.Fatalf("err = %v, want bad signature", err)
	}
	want := `hello-wolfi-2.12.1-r0: bad signature: key "melange.rsa.pub" does not verify it`
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindBadSignature || e.Package != "hello-wolfi-2.12.1-r0" {
		t.Errorf("error %#v", e)
	}
}

// TestReadFixturesFlippedByte flips one byte at many offsets of every
// fixture: each copy must be rejected, most of them as corrupted. The one
// exception is bytes 4-9 of a signed package (MTIME, XFL and OS of the
// signature member's gzip header): apk-tools ignores them and no digest
// covers them, so no reader can notice a change there.
func TestReadFixturesFlippedByte(t *testing.T) {
	for _, fx := range fixturePackages {
		for _, mode := range inputModes {
			t.Run(fx.pkgver+"/"+mode.name, func(t *testing.T) {
				data := readFixture(t, fx.file)
				kr := keys.NewKeyring()
				if fx.key != "" {
					kr = keyringOf(t, fx.key)
				}
				step := len(data)/150 + 1
				if testing.Short() {
					step = len(data)/30 + 1
				}
				tried, corrupted := 0, 0
				for off := 0; off < len(data); off += step {
					for _, off := range []int{off, len(data) - 1 - off} {
						if off >= 4 && off <= 9 {
							continue
						}
						bad := bytes.Clone(data)
						bad[off] ^= 0x5a
						_, err := Read(bytes.NewReader(bad), ReadOptions{Keyring: kr, AllowUntrusted: fx.untrustedOnly, stream: mode.stream})
						tried++
						if err == nil {
							t.Fatalf("flipped byte at offset %d of %d went unnoticed", off, len(data))
						}
						if errors.Is(err, ErrCorrupted) {
							corrupted++
						}
					}
				}
				if corrupted*10 < tried*8 {
					t.Errorf("only %d of %d flipped copies reported as corrupted", corrupted, tried)
				}
			})
		}
	}
}

func TestReadTruncated(t *testing.T) {
	data := readFixture(t, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk")
	for _, n := range []int{0, 1, 10, 646, 647, 648, 1628, 1629, 1700, len(data) - 1} {
		for _, mode := range inputModes {
			_, err := Read(bytes.NewReader(data[:n]), ReadOptions{stream: mode.stream})
			if !errors.Is(err, ErrCorrupted) {
				t.Errorf("truncated at %d (%s): err = %v, want corrupted", n, mode.name, err)
			}
		}
	}
	_, err := Read(bytes.NewReader(append(bytes.Clone(data), 0, 0, 0, 0)), ReadOptions{})
	if !errors.Is(err, ErrCorrupted) {
		t.Errorf("trailing zeros: err = %v, want corrupted", err)
	}
}

// A member that is not gzip is named by its number and the byte it
// starts at, counted from the start of the file.
func TestReadNotGzipSaysWhere(t *testing.T) {
	data := readFixture(t, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk")
	ms := members(t, data)
	second := len(ms[0])
	broken := bytes.Clone(data)
	copy(broken[second:], "not gzip at all")
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not a package", []byte("not an apk\n"), "gzip member 1 at byte 0: not a gzip header"},
		{"second member", broken, fmt.Sprintf("gzip member 2 at byte %d: not a gzip header", second)},
	}
	for _, c := range cases {
		for _, mode := range inputModes {
			_, err := Read(bytes.NewReader(c.data), ReadOptions{stream: mode.stream})
			if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (%s): err = %v, want corrupted with %q", c.name, mode.name, err, c.want)
			}
		}
	}
}

func TestReadExpectChecksum(t *testing.T) {
	path := fixture.Path(t, "melange-repo/x86_64/replayout-1.0.0-r0.apk")
	good, _ := base64.StdEncoding.DecodeString("1/HhSewwwOXgl0r0ffb0O0BRtYc=")
	if _, err := ReadFile(path, ReadOptions{ExpectChecksum: good}); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(good)
	bad[0] ^= 1
	_, err := ReadFile(path, ReadOptions{ExpectChecksum: bad})
	if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), "identity mismatch") {
		t.Fatalf("err = %v, want identity mismatch", err)
	}
}
