package keys

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
)

// Signer is what signs a package or an index: the private key, the name
// its public key is published under (the NAME of .SIGN.RSA256.NAME and of
// /etc/apk/keys/NAME, such as melange.rsa.pub) and the digest of its
// signatures. A nil *Signer means unsigned.
type Signer struct {
	Key  *rsa.PrivateKey
	Name string
	// Hash is the signature digest: crypto.SHA1 (RSA), crypto.SHA256
	// (RSA256, also when 0) or crypto.SHA512 (RSA512).
	Hash crypto.Hash
}

// LoadSigner reads the private key at path and names it after the file
// (KeyName). warning is KeyName's, for the caller to log.
func LoadSigner(path string) (s *Signer, warning string, err error) {
	key, err := LoadPrivate(path)
	if err != nil {
		return nil, "", err
	}
	name, warning := KeyName(path)
	return &Signer{Key: key, Name: name}, warning, nil
}

// Check reports what makes s unusable: no key, or a name that cannot be
// a file name.
func (s *Signer) Check() error {
	switch {
	case s.Key == nil:
		return errors.New("signing needs a private key")
	case s.Name == "":
		return errors.New("signing needs a key name: the public key's file name (e.g. melange.rsa.pub)")
	case strings.ContainsAny(s.Name, "/\n"):
		return fmt.Errorf("invalid key name %q", s.Name)
	}
	_, err := TypeForHash(s.hash())
	return err
}

func (s *Signer) hash() crypto.Hash {
	if s.Hash == 0 {
		return crypto.SHA256
	}
	return s.Hash
}

// SignData digests data with the signer's hash and signs the digest
// (RSA PKCS#1 v1.5, deterministic). It returns the signature type of the
// entry name (RSA, RSA256, RSA512), the hash used and the signature.
func (s *Signer) SignData(data []byte) (typ string, h crypto.Hash, sig []byte, err error) {
	if err := s.Check(); err != nil {
		return "", 0, nil, err
	}
	h = s.hash()
	typ, _ = TypeForHash(h)
	d := h.New()
	d.Write(data)
	if sig, err = Sign(s.Key, h, d.Sum(nil)); err != nil {
		return "", 0, nil, fmt.Errorf("signing with %s: %w", s.Name, err)
	}
	return typ, h, sig, nil
}
