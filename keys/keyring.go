package keys

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrUntrusted means no key of the signature's name is in the keyring.
var ErrUntrusted = errors.New("untrusted signature")

// ErrBadSignature means the key of that name exists but the signature does
// not verify with it.
var ErrBadSignature = errors.New("bad signature")

// Keyring holds trusted public keys by name. The name of a key is the base
// name of its file (e.g. "melange.rsa.pub"), which is what a ".SIGN.RSA256."
// entry names.
type Keyring struct {
	keys map[string]*rsa.PublicKey
}

// NewKeyring returns an empty keyring.
func NewKeyring() *Keyring { return &Keyring{keys: map[string]*rsa.PublicKey{}} }

// Add puts pub into the keyring under name.
func (k *Keyring) Add(name string, pub *rsa.PublicKey) { k.keys[name] = pub }

// AddPEM parses data as a public key and adds it under name.
func (k *Keyring) AddPEM(name string, data []byte) error {
	pub, err := ParsePublic(data)
	if err != nil {
		return fmt.Errorf("key %s: %w", name, err)
	}
	k.Add(name, pub)
	return nil
}

// Names lists the key names, sorted.
func (k *Keyring) Names() []string {
	out := make([]string, 0, len(k.keys))
	for n := range k.keys {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Len is the number of keys.
func (k *Keyring) Len() int { return len(k.keys) }

// Lookup returns the key of that name. Like apko, a name given without its
// ".rsa.pub"/".pub" ending also matches.
func (k *Keyring) Lookup(name string) (*rsa.PublicKey, bool) {
	if pub, ok := k.keys[name]; ok {
		return pub, true
	}
	for _, suffix := range []string{".pub", ".rsa.pub"} {
		if pub, ok := k.keys[name+suffix]; ok {
			return pub, true
		}
	}
	if base, ok := strings.CutSuffix(name, ".pub"); ok {
		if pub, ok := k.keys[base]; ok {
			return pub, true
		}
	}
	return nil, false
}

// Verify checks sig over digest (hashed with h) with the key called name.
// It returns an error wrapping ErrUntrusted or ErrBadSignature.
func (k *Keyring) Verify(name string, h crypto.Hash, digest, sig []byte) error {
	pub, ok := k.Lookup(name)
	if !ok {
		return fmt.Errorf("%w: no key named %q in the keyring (%d keys)", ErrUntrusted, name, len(k.keys))
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
		return fmt.Errorf("%w: %q does not verify it", ErrBadSignature, name)
	}
	return nil
}

// LoadKeyring reads public keys from paths. A path that is a directory
// contributes every regular file in it whose name ends in ".pub"; a file is
// added under its base name. Remote (URL) keyring entries are handled by the
// repository layer, not here.
func LoadKeyring(paths ...string) (*Keyring, error) {
	k := NewKeyring()
	for _, p := range paths {
		if err := k.load(p); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (k *Keyring) load(p string) error {
	st, err := os.Stat(p)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("keyring: %w", err)
		}
		return k.AddPEM(filepath.Base(p), data)
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pub") {
			continue
		}
		if err := k.load(filepath.Join(p, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// FindFile returns the path of a regular file named like one of names in
// one of dirs (names in order, then dirs in order), or "": where a key
// that the keyring lacks may be lying, for a hint. A name that is not a
// plain file name is skipped, as names come from signatures.
func FindFile(names []string, dirs ...string) string {
	for _, name := range names {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") {
			continue
		}
		for _, dir := range dirs {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return p
			}
		}
	}
	return ""
}

// HashForType maps the TYPE of a ".SIGN.<TYPE>.<keyname>" entry to its digest.
func HashForType(typ string) (crypto.Hash, error) {
	switch typ {
	case "RSA":
		return crypto.SHA1, nil
	case "RSA256":
		return crypto.SHA256, nil
	case "RSA512":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("unsupported signature type %q (want RSA, RSA256 or RSA512)", typ)
}

// TypeForHash is the inverse of HashForType.
func TypeForHash(h crypto.Hash) (string, error) {
	switch h {
	case crypto.SHA1:
		return "RSA", nil
	case crypto.SHA256:
		return "RSA256", nil
	case crypto.SHA512:
		return "RSA512", nil
	}
	return "", fmt.Errorf("unsupported signature hash %v", h)
}
