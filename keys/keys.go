package keys

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// MinBits is the smallest RSA modulus accepted for new keys.
const MinBits = 2048

// DefaultBits is the modulus size of keys made by Generate when asked for 0.
const DefaultBits = 4096

// Generate makes a new RSA key of the given size (DefaultBits when 0).
func Generate(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = DefaultBits
	}
	if bits < MinBits {
		return nil, fmt.Errorf("key size %d is too small: use at least %d bits", bits, MinBits)
	}
	return rsa.GenerateKey(rand.Reader, bits)
}

// EncodePrivate returns the PKCS#1 "RSA PRIVATE KEY" PEM of priv, the form
// melange and abuild write.
func EncodePrivate(priv *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
}

// EncodePublic returns the PKIX "PUBLIC KEY" PEM of pub, the only public key
// form apk-tools reads from /etc/apk/keys.
func EncodePublic(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// WritePair writes priv to path (mode 0600) and its public key to path+".pub"
// (mode 0644). It refuses to replace existing files unless force is set.
// Each file is written to a temporary name first and renamed into place.
func WritePair(path string, priv *rsa.PrivateKey, force bool) error {
	pubPEM, err := EncodePublic(&priv.PublicKey)
	if err != nil {
		return err
	}
	if !force {
		for _, p := range []string{path, path + ".pub"} {
			if _, err := os.Lstat(p); err == nil {
				return fmt.Errorf("%s already exists: pass --force to replace it, or choose another name", p)
			}
		}
	}
	if err := fsutil.WriteFile(path, EncodePrivate(priv), 0o600); err != nil {
		return err
	}
	return fsutil.WriteFile(path+".pub", pubPEM, 0o644)
}

// LoadPrivate reads an RSA private key in PKCS#1 or PKCS#8 PEM form.
func LoadPrivate(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("signing key %s does not exist: create one with 'pestle keygen %s'", path, path)
		}
		return nil, fmt.Errorf("signing key: %w", err)
	}
	priv, err := ParsePrivate(data)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return priv, nil
}

// ParsePrivate decodes an RSA private key in PKCS#1 or PKCS#8 PEM form.
func ParsePrivate(data []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found: expected an \"RSA PRIVATE KEY\" or \"PRIVATE KEY\" PEM file")
	}
	if _, ok := block.Headers["Proc-Type"]; ok || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, errors.New("the key is encrypted: decrypt it first (openssl rsa -in KEY -out PLAIN)")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad PKCS#1 key: %w", err)
		}
		return priv, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad PKCS#8 key: %w", err)
		}
		priv, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not RSA: APK signatures need an RSA key", k)
		}
		return priv, nil
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return nil, fmt.Errorf("this is a public key (PEM %q): signing needs the private key", block.Type)
	default:
		return nil, fmt.Errorf("unexpected PEM type %q: expected \"RSA PRIVATE KEY\" or \"PRIVATE KEY\"", block.Type)
	}
}

// ParsePublic decodes a PKIX "PUBLIC KEY" PEM holding an RSA key. A PKCS#1
// "RSA PUBLIC KEY" is accepted too, for convenience.
func ParsePublic(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found: expected a \"PUBLIC KEY\" PEM file")
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad public key: %w", err)
		}
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("the key is a %T, not RSA", k)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		return nil, fmt.Errorf("this is a private key (PEM %q): a keyring holds public keys (the .pub file)", block.Type)
	default:
		return nil, fmt.Errorf("unexpected PEM type %q: expected \"PUBLIC KEY\"", block.Type)
	}
}

// Sign signs digest (already hashed with h) with RSA PKCS#1 v1.5.
func Sign(priv *rsa.PrivateKey, h crypto.Hash, digest []byte) ([]byte, error) {
	return rsa.SignPKCS1v15(rand.Reader, priv, h, digest)
}

// Digest hashes data with h; h must be SHA1, SHA256 or SHA512.
func Digest(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}

// KeyName is the name a signature made with the private key file at path
// carries, as melange names it: the file's base name plus ".pub" (so
// melange.rsa signs as melange.rsa.pub, and installers look for
// /etc/apk/keys/melange.rsa.pub). warning is non-empty when the name will
// trouble installers: apko refuses index signatures whose key name does not
// end in ".rsa.pub".
func KeyName(path string) (name, warning string) {
	name = filepath.Base(path) + ".pub"
	if !strings.HasSuffix(name, ".rsa.pub") {
		warning = fmt.Sprintf("signing key %s does not end in .rsa: signatures will name %q, which apko refuses; rename the key to NAME.rsa (and its public key to NAME.rsa.pub)", path, name)
	}
	return name, warning
}
