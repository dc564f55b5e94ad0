package apkocheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"io"
	"os"
	"strings"
	"testing"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
	"chainguard.dev/apko/pkg/apk/expandapk"
	"chainguard.dev/apko/pkg/apk/signature"

	"github.com/pestle-dev/pestle/keys"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// signatures returns the .SIGN.* entries of a signature member.
func signatures(t *testing.T, member []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(member))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("signature member: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = b
	}
}

// TestApkoExpandsAndVerifiesPackages splits every package with apko's
// expandapk (which also checks each regular file's SHA-1 PAX record against
// its content) and checks what apko itself leaves unchecked when it
// installs: the signature over the control member, the control member's
// SHA-1 against the index C:, the data member's SHA-256 against .PKGINFO
// datahash, and the file size against S:.
func TestApkoExpandsAndVerifiesPackages(t *testing.T) {
	for _, c := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA512} {
		t.Run(c.String(), func(t *testing.T) {
			r := newRepo(t, RepoOptions{PkgHash: c})
			pub := publicPEM(t, r)
			typ, err := keys.TypeForHash(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range r.Packages {
				ctx, _ := apkoContext(t)
				f, err := os.Open(r.PackagePath(want))
				if err != nil {
					t.Fatal(err)
				}
				exp, err := expandapk.ExpandApk(ctx, f, t.TempDir())
				f.Close()
				if err != nil {
					t.Fatalf("apko cannot expand %s: %v", want.Filename(), err)
				}
				t.Cleanup(func() { exp.Close() })
				if !exp.Signed {
					t.Errorf("%s: apko found no signature member", want.Name)
				}
				if got, w := b64(exp.ControlHash), b64(want.Checksum); got != w {
					t.Errorf("%s: SHA-1 of the control member is Q1%s, index C: is Q1%s", want.Name, got, w)
				}
				if got := hex.EncodeToString(exp.PackageHash); got != want.DataHash {
					t.Errorf("%s: SHA-256 of the data member is %s, datahash is %s", want.Name, got, want.DataHash)
				}
				if exp.Size != want.FileSize {
					t.Errorf("%s: apko measures %d bytes, S: says %d", want.Name, exp.Size, want.FileSize)
				}

				sigMember, err := os.ReadFile(exp.SignatureFile)
				if err != nil {
					t.Fatal(err)
				}
				sigs := signatures(t, sigMember)
				name := ".SIGN." + typ + "." + r.KeyName
				sig, ok := sigs[name]
				if len(sigs) != 1 || !ok {
					t.Fatalf("%s: signature entries %v, want only %s", want.Name, keysOf(sigs), name)
				}
				control, err := os.ReadFile(exp.ControlFile)
				if err != nil {
					t.Fatal(err)
				}
				h := c.New()
				h.Write(control)
				if err := signature.RSAVerifyDigest(h.Sum(nil), c, sig, pub); err != nil {
					t.Errorf("%s: apko's verifier rejects the package signature: %v", want.Name, err)
				}

				// .PKGINFO as apko parses it (ini), compared with pestle's record.
				f, err = os.Open(r.PackagePath(want))
				if err != nil {
					t.Fatal(err)
				}
				parsed, err := apkoapk.ParsePackage(ctx, f, uint64(want.FileSize))
				f.Close()
				if err != nil {
					t.Fatalf("apko cannot parse %s: %v", want.Filename(), err)
				}
				comparePackage(t, ".PKGINFO", parsed, want)
				if parsed.DataHash != want.DataHash {
					t.Errorf("%s: datahash as apko parses it: %q, want %q", want.Name, parsed.DataHash, want.DataHash)
				}
			}
		})
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestApkoRejectsCorruptFile makes sure the per-file SHA-1 check runs on
// pestle's packages: a package whose data was re-packed with one content
// byte changed (and its PAX checksum kept) is refused.
func TestApkoRejectsCorruptFile(t *testing.T) {
	r := newRepo(t, RepoOptions{})
	base := r.Packages[0]
	b, err := os.ReadFile(r.PackagePath(base))
	if err != nil {
		t.Fatal(err)
	}
	// Re-compress the data member with one content byte changed.
	ctx, _ := apkoContext(t)
	exp, err := expandapk.ExpandApk(ctx, bytes.NewReader(b), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Close()
	tarData, err := os.ReadFile(exp.TarFile)
	if err != nil {
		t.Fatal(err)
	}
	body := "pestle acceptance base package\n"
	i := strings.Index(string(tarData), body)
	if i < 0 {
		t.Fatal("README content not found in the data tar")
	}
	tarData[i] ^= 0x20
	var data bytes.Buffer
	zw := gzip.NewWriter(&data)
	zw.Write(tarData)
	zw.Close()
	head := int(exp.SignatureSize + exp.ControlSize)
	bad := append(append([]byte(nil), b[:head]...), data.Bytes()...)
	_, err = expandapk.ExpandApk(ctx, bytes.NewReader(bad), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("apko: %v, want a checksum mismatch", err)
	}
}
