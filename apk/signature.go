package apk

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"strings"

	"github.com/pestle-dev/pestle/keys"
)

// signPrefix starts the name of every signature entry.
const signPrefix = ".SIGN."

// maxSignatureSize is the largest signature entry read; apk v3 ignores
// larger ones, and so does pestle.
const maxSignatureSize = 64 << 10

// Signature is one ".SIGN.<Type>.<KeyName>" entry of a package or index.
type Signature struct {
	Type    string      // "RSA", "RSA256", "RSA512" (or an unsupported type such as "DSA")
	KeyName string      // e.g. "melange.rsa.pub": the file name in /etc/apk/keys
	Hash    crypto.Hash // digest of Type; 0 when Type is not supported
	Value   []byte      // the PKCS#1 v1.5 signature
}

// EntryName is the tar entry name of the signature.
func (s Signature) EntryName() string { return signPrefix + s.Type + "." + s.KeyName }

// parseSignatureName splits ".SIGN.<TYPE>.<keyname>". The type is the text
// up to the next dot, as apk-tools reads it.
func parseSignatureName(name string) (Signature, bool) {
	rest, ok := strings.CutPrefix(name, signPrefix)
	if !ok {
		return Signature{}, false
	}
	typ, key, ok := strings.Cut(rest, ".")
	if !ok || typ == "" || key == "" {
		return Signature{}, false
	}
	s := Signature{Type: typ, KeyName: key}
	if h, err := keys.HashForType(typ); err == nil {
		s.Hash = h
	}
	return s, true
}

// chooseSignature returns, as apk-tools does, the first signature of a
// supported type whose key is in the keyring.
func chooseSignature(sigs []Signature, kr *keys.Keyring) (*Signature, *rsa.PublicKey) {
	if kr == nil {
		return nil, nil
	}
	for i := range sigs {
		if sigs[i].Hash == 0 {
			continue
		}
		if pub, ok := kr.Lookup(sigs[i].KeyName); ok {
			return &sigs[i], pub
		}
	}
	return nil, nil
}

// untrustedReason says why no signature of sigs can be checked with kr.
func untrustedReason(sigs []Signature, kr *keys.Keyring) error {
	if len(sigs) == 0 {
		return errf("the package is not signed (pass --allow-untrusted to accept it)")
	}
	u := &UntrustedKeys{keyring: kr.Len()}
	for _, s := range sigs {
		u.Names = append(u.Names, s.KeyName)
	}
	return u
}

// UntrustedKeys is why a signed package is untrusted: the keyring has no
// key of its signers' names (the cause inside an *Error of
// KindUntrusted).
type UntrustedKeys struct {
	Names   []string // the signers' key names
	keyring int      // how many keys the keyring had
}

func (u *UntrustedKeys) Error() string {
	quoted := make([]string, len(u.Names))
	for i, n := range u.Names {
		quoted[i] = "\"" + n + "\""
	}
	return fmt.Sprintf("no key named %s in the keyring (%d keys): add the public key of that name, or pass --allow-untrusted",
		strings.Join(quoted, " or "), u.keyring)
}
