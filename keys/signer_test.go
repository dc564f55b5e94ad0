package keys

import (
	"crypto"
	"crypto/rsa"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignerSignData(t *testing.T) {
	data := []byte("control member")
	for _, c := range []struct {
		h    crypto.Hash
		typ  string
		used crypto.Hash
	}{
		{0, "RSA256", crypto.SHA256},
		{crypto.SHA1, "RSA", crypto.SHA1},
		{crypto.SHA256, "RSA256", crypto.SHA256},
		{crypto.SHA512, "RSA512", crypto.SHA512},
	} {
		s := &Signer{Key: testKey, Name: "test.rsa.pub", Hash: c.h}
		typ, h, sig, err := s.SignData(data)
		if err != nil {
			t.Fatal(err)
		}
		if typ != c.typ || h != c.used {
			t.Errorf("hash %v: type %s, hash %v; want %s, %v", c.h, typ, h, c.typ, c.used)
		}
		if err := rsa.VerifyPKCS1v15(&testKey.PublicKey, h, Digest(h, data), sig); err != nil {
			t.Errorf("hash %v: the signature does not verify: %v", c.h, err)
		}
	}
}

func TestSignerCheck(t *testing.T) {
	for _, c := range []struct {
		s    Signer
		want string
	}{
		{Signer{Name: "a.rsa.pub"}, "private key"},
		{Signer{Key: testKey}, "needs a key name"},
		{Signer{Key: testKey, Name: "a/b.pub"}, "invalid key name"},
		{Signer{Key: testKey, Name: "a.pub", Hash: crypto.MD5}, ""},
	} {
		err := c.s.Check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.s, err, c.want)
		}
	}
	if _, _, _, err := (&Signer{Key: testKey}).SignData(nil); err == nil {
		t.Error("SignData signed without a key name")
	}
}

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"melange.rsa", "odd.key"} {
		path := filepath.Join(dir, name)
		if err := WritePair(path, testKey, false); err != nil {
			t.Fatal(err)
		}
		s, warning, err := LoadSigner(path)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != name+".pub" || !s.Key.Equal(testKey) {
			t.Errorf("%s: name %q", name, s.Name)
		}
		if (warning != "") != (name == "odd.key") {
			t.Errorf("%s: warning %q", name, warning)
		}
	}
	if _, _, err := LoadSigner(filepath.Join(dir, "missing.rsa")); err == nil {
		t.Error("a missing key loaded")
	}
}
