package index

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

func keyring(t testing.TB, pubs ...string) *keys.Keyring {
	t.Helper()
	kr, err := keys.LoadKeyring(pubs...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func q1(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s[2:])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadAlpine316(t *testing.T) {
	fx := fixture.Dir(t)
	dir := filepath.Join(fx, "alpine-316")
	path := filepath.Join(dir, "APKINDEX.tar.gz")
	good := filepath.Join(dir, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub")
	other := filepath.Join(dir, "alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub")

	ix, err := ReadFile(path, keyring(t, good), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Packages) != 4929 {
		t.Errorf("packages = %d, want 4929", len(ix.Packages))
	}
	if ix.SignedBy != "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub" {
		t.Errorf("SignedBy = %q", ix.SignedBy)
	}
	if len(ix.Signatures) != 1 || ix.Signatures[0].Type != "RSA" || len(ix.Signatures[0].Value) != 512 {
		t.Errorf("signatures = %+v", ix.Signatures)
	}
	if ix.Description != "v3.16.3-13-g4d933a1fa3" {
		t.Errorf("Description = %q", ix.Description)
	}
	if len(ix.Uninstallable) != 0 {
		t.Errorf("uninstallable records: %d", len(ix.Uninstallable))
	}
	p := ix.Find("alpine-baselayout", "3.2.0-r23")
	if p == nil {
		t.Fatal("alpine-baselayout-3.2.0-r23 not found")
	}
	want := &apk.PackageInfo{
		Name: "alpine-baselayout", Version: "3.2.0-r23", Arch: "x86_64",
		FileSize: 11136, Size: 348160,
		Description: "Alpine base dir structure and init scripts",
		URL:         "https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout",
		License:     "GPL-2.0-only", Origin: "alpine-baselayout",
		Maintainer: "Natanael Copa <ncopa@alpinelinux.org>", BuildDate: 1662926906,
		Commit:   "348653a9ba0701e8e968b3344e72313a9ef334e4",
		Depends:  []string{"alpine-baselayout-data=3.2.0-r23", "/bin/sh", "so:libc.musl-x86_64.so.1"},
		Provides: []string{"cmd:mkmntdirs=3.2.0-r23"},
		Checksum: q1(t, "Q19UI7UxyiUywG6aew9c3lCBPshsE="),
	}
	comparePkg(t, p, want)

	// Counts of optional fields, recomputed with tar+grep.
	var deps, prov, iif, prio int
	for _, p := range ix.Packages {
		if len(p.Depends) > 0 {
			deps++
		}
		if len(p.Provides) > 0 {
			prov++
		}
		if len(p.InstallIf) > 0 {
			iif++
		}
		if p.ProviderPriority > 0 {
			prio++
		}
		if len(p.Checksum) != 20 {
			t.Fatalf("%s: checksum length %d", p.Name, len(p.Checksum))
		}
	}
	if deps != 3253 || prov != 2024 || iif != 1538 || prio != 72 {
		t.Errorf("records with D/p/i/k = %d/%d/%d/%d, want 3253/2024/1538/72", deps, prov, iif, prio)
	}

	_, err = ReadFile(path, keyring(t, other), false)
	if !errors.Is(err, keys.ErrUntrusted) || errors.Is(err, keys.ErrBadSignature) {
		t.Errorf("with only the 4a6a0840 key: err = %v, want untrusted", err)
	}
	ix, err = ReadFile(path, keyring(t, other), true)
	if err != nil || ix.SignedBy != "" || len(ix.Packages) != 4929 {
		t.Errorf("allowUntrusted: err=%v signedBy=%q", err, ix.SignedBy)
	}
}

func TestReadSignedFixtures(t *testing.T) {
	fx := fixture.Dir(t)
	for _, tc := range []struct {
		name, index, pub, signer string
		count                    int
	}{
		{"melange RSA256", "melange-repo/x86_64/APKINDEX.tar.gz", "melange-repo/melange.rsa.pub", "melange.rsa.pub", 4},
		{"rsa256-signed", "rsa256-signed/APKINDEX.tar.gz", "rsa256-signed/test-rsa256.rsa.pub", "test-rsa256.rsa.pub", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(fx, tc.index)
			ix, err := ReadFile(path, keyring(t, filepath.Join(fx, tc.pub)), false)
			if err != nil {
				t.Fatal(err)
			}
			if ix.SignedBy != tc.signer || ix.Signatures[0].Type != "RSA256" {
				t.Errorf("signed by %q (%+v)", ix.SignedBy, ix.Signatures)
			}
			if len(ix.Packages) != tc.count {
				t.Errorf("packages = %d, want %d", len(ix.Packages), tc.count)
			}
			if _, err := ReadFile(path, nil, false); !errors.Is(err, keys.ErrUntrusted) {
				t.Errorf("no keyring: err = %v, want untrusted", err)
			}
			// A same-named key that is not the signer's gives a bad signature.
			wrong := keys.NewKeyring()
			if err := wrong.AddPEM(tc.signer, mustRead(t, filepath.Join(fx, "wolfi/wolfi-signing.rsa.pub"))); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadFile(path, wrong, true); !errors.Is(err, keys.ErrBadSignature) {
				t.Errorf("wrong key: err = %v, want bad signature", err)
			}
		})
	}
}

func TestMelangeFixtureRecord(t *testing.T) {
	fx := fixture.Dir(t)
	ix, err := ReadFile(filepath.Join(fx, "melange-repo/x86_64/APKINDEX.tar.gz"), keyring(t, filepath.Join(fx, "melange-repo/melange.rsa.pub")), false)
	if err != nil {
		t.Fatal(err)
	}
	p := ix.Find("replayout", "1.0.0-r0")
	if p == nil {
		t.Fatal("replayout missing")
	}
	comparePkg(t, p, &apk.PackageInfo{
		Name: "replayout", Version: "1.0.0-r0", Arch: "x86_64", FileSize: 2961, Size: 3389,
		Description: "replacement baselayout", License: "MIT", Origin: "replayout", Maintainer: "unknown",
		Commit: "326e0ed687bdfeadac839dc9b25686e4442c9d04", Depends: []string{"pretend-baselayout"},
		Checksum: q1(t, "Q11/HhSewwwOXgl0r0ffb0O0BRtYc="),
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func comparePkg(t *testing.T, got, want *apk.PackageInfo) {
	t.Helper()
	var g, w bytes.Buffer
	if err := (&Index{Packages: []*apk.PackageInfo{got}}).WriteText(&g); err != nil {
		t.Fatal(err)
	}
	if err := (&Index{Packages: []*apk.PackageInfo{want}}).WriteText(&w); err != nil {
		t.Fatal(err)
	}
	if g.String() != w.String() {
		t.Errorf("record:\n%s\nwant:\n%s", g.String(), w.String())
	}
}
