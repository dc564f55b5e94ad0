package keys

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtures is the repository's testdata/fixtures (keys imports nothing of
// ours, not even internal/fixture in its tests).
const fixtures = "../testdata/fixtures"

// testKey is generated once: RSA generation is slow under the race detector.
var testKey = func() *rsa.PrivateKey {
	k, err := Generate(2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func TestGenerateRefusesSmallKeys(t *testing.T) {
	if _, err := Generate(1024); err == nil || !strings.Contains(err.Error(), "at least 2048") {
		t.Fatalf("Generate(1024) = %v, want a too-small error", err)
	}
}

func TestWritePairAndLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "melange.rsa")
	if err := WritePair(path, testKey, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %o, want 600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if b, _ := pem.Decode(data); b == nil || b.Type != "RSA PRIVATE KEY" {
		t.Errorf("private key PEM type is not RSA PRIVATE KEY")
	}
	pubData, _ := os.ReadFile(path + ".pub")
	if b, _ := pem.Decode(pubData); b == nil || b.Type != "PUBLIC KEY" {
		t.Errorf("public key PEM type is not PUBLIC KEY")
	}
	priv, err := LoadPrivate(path)
	if err != nil {
		t.Fatal(err)
	}
	if !priv.Equal(testKey) {
		t.Error("loaded key differs from the written one")
	}
	if err := WritePair(path, testKey, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite without force: %v, want a refusal that names --force", err)
	}
	if err := WritePair(path, testKey, true); err != nil {
		t.Errorf("overwrite with force: %v", err)
	}
}

func TestParsePrivateForms(t *testing.T) {
	pkcs8, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := EncodePublic(&testKey.PublicKey)
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"pkcs1", EncodePrivate(testKey), ""},
		{"pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
		{"public", pub, "public key"},
		{"garbage", []byte("hello"), "no PEM block"},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), "encrypted"},
		{"legacy-encrypted", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}), "encrypted"},
		{"cert", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "unexpected PEM type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := ParsePrivate(tt.data)
			if tt.wantErr == "" {
				if err != nil || !k.Equal(testKey) {
					t.Fatalf("ParsePrivate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParsePrivate error %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadPrivateMissingNamesFix(t *testing.T) {
	_, err := LoadPrivate(filepath.Join(t.TempDir(), "nope.rsa"))
	if err == nil || !strings.Contains(err.Error(), "pestle keygen") {
		t.Fatalf("error %v, want a hint naming pestle keygen", err)
	}
}

func TestSignVerifyAllHashes(t *testing.T) {
	kr := NewKeyring()
	kr.Add("test.rsa.pub", &testKey.PublicKey)
	other, err := Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	wrong := NewKeyring()
	wrong.Add("test.rsa.pub", &other.PublicKey)
	for _, typ := range []string{"RSA", "RSA256", "RSA512"} {
		h, err := HashForType(typ)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := TypeForHash(h); back != typ {
			t.Errorf("TypeForHash(%v) = %q, want %q", h, back, typ)
		}
		d := Digest(h, []byte("payload"))
		sig, err := Sign(testKey, h, d)
		if err != nil {
			t.Fatal(err)
		}
		if err := kr.Verify("test.rsa.pub", h, d, sig); err != nil {
			t.Errorf("%s: verify: %v", typ, err)
		}
		if err := kr.Verify("test", h, d, sig); err != nil {
			t.Errorf("%s: verify by short name: %v", typ, err)
		}
		if err := kr.Verify("other.rsa.pub", h, d, sig); !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s: unknown key: %v, want ErrUntrusted", typ, err)
		}
		if err := wrong.Verify("test.rsa.pub", h, d, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: wrong key: %v, want ErrBadSignature", typ, err)
		}
		d2 := Digest(h, []byte("payloae"))
		if err := kr.Verify("test.rsa.pub", h, d2, sig); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: altered digest: %v, want ErrBadSignature", typ, err)
		}
	}
	if _, err := HashForType("DSA"); err == nil {
		t.Error("HashForType(DSA) succeeded")
	}
	_ = crypto.SHA1
}

func TestLoadKeyringFixtures(t *testing.T) {
	kr, err := LoadKeyring(filepath.Join(fixtures, "alpine-316"), filepath.Join(fixtures, "melange-repo", "melange.rsa.pub"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub",
		"alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub",
		"melange.rsa.pub",
	}
	got := kr.Names()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("keyring names %v, want %v", got, want)
	}
	if _, err := LoadKeyring(filepath.Join(fixtures, "nope")); err == nil {
		t.Error("missing keyring path accepted")
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.rsa.pub")
	os.WriteFile(bad, EncodePrivate(testKey), 0o644)
	if _, err := LoadKeyring(bad); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Errorf("private key in keyring: %v, want a clear error", err)
	}
}

func TestKeyName(t *testing.T) {
	for path, want := range map[string]struct {
		name string
		warn bool
	}{
		"melange.rsa":             {"melange.rsa.pub", false},
		"/keys/local-melange.rsa": {"local-melange.rsa.pub", false},
		"signing.pem":             {"signing.pem.pub", true},
	} {
		name, warning := KeyName(path)
		if name != want.name || (warning != "") != want.warn {
			t.Errorf("KeyName(%q) = %q, %q; want %q, warning %v", path, name, warning, want.name, want.warn)
		}
	}
}

func TestFindFile(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, p := range []string{filepath.Join(a, "x.rsa.pub"), filepath.Join(b, "y.rsa.pub")} {
		if err := os.WriteFile(p, []byte("k"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(a, "d.rsa.pub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		names []string
		want  string
	}{
		{[]string{"x.rsa.pub"}, filepath.Join(a, "x.rsa.pub")},
		{[]string{"nope", "y.rsa.pub"}, filepath.Join(b, "y.rsa.pub")},
		{[]string{"d.rsa.pub"}, ""},                             // a directory
		{[]string{"../" + filepath.Base(a) + "/x.rsa.pub"}, ""}, // not a plain name
		{[]string{"", ".", ".."}, ""},
	} {
		if got := FindFile(c.names, a, b); got != c.want {
			t.Errorf("FindFile(%q) = %q, want %q", c.names, got, c.want)
		}
	}
}
