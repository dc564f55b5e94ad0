package index

import (
	"archive/tar"
	"bytes"
	"crypto"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// Limits on untrusted input: the compressed file, the APKINDEX text after
// decompression, and the DESCRIPTION kept.
const (
	maxArchive     = 1 << 30
	maxText        = 512 << 20
	maxDescription = 4 << 10
	maxSignature   = 64 << 10
)

// ErrUnsigned means the index carries no signature. It wraps
// keys.ErrUntrusted, so callers that branch on untrusted input catch it too.
var ErrUnsigned = fmt.Errorf("%w: the index is not signed", keys.ErrUntrusted)

// ReadFile reads and verifies the index file at path; see Read.
func ReadFile(path string, kr *keys.Keyring, allowUntrusted bool) (*Index, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	ix, err := ReadBytes(data, kr, allowUntrusted)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ix, nil
}

// readFile reads a whole index file into one buffer of its size.
func readFile(path string) ([]byte, error) {
	f, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxArchive {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrFormat, maxArchive)
	}
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, maxArchive+1)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if buf.Len() > maxArchive {
		return nil, fmt.Errorf("%s: %w: larger than %d bytes", path, ErrFormat, maxArchive)
	}
	return buf.Bytes(), nil
}

// Read reads an APKINDEX.tar.gz. A signed index is verified like apk-tools
// does: the first signature entry whose key is in kr (RSA = SHA-1, RSA256,
// RSA512) must verify over every byte after the signature member. A bad
// signature is always an error (wrapping keys.ErrBadSignature); an unsigned
// index (ErrUnsigned) or one whose keys are all unknown (keys.ErrUntrusted)
// is refused unless allowUntrusted. kr may be nil (no trusted key).
func Read(r io.Reader, kr *keys.Keyring, allowUntrusted bool) (*Index, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxArchive+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxArchive {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, maxArchive)
	}
	return ReadBytes(data, kr, allowUntrusted)
}

// ReadBytes is Read over an index already in memory.
func ReadBytes(data []byte, kr *keys.Keyring, allowUntrusted bool) (*Index, error) {
	sigs, unsigned, err := Split(data)
	if err != nil {
		return nil, err
	}
	signedBy, err := verify(sigs, unsigned, kr, allowUntrusted)
	if err != nil {
		return nil, err
	}
	ix, err := readContent(unsigned)
	if err != nil {
		return nil, err
	}
	ix.Signatures = sigs
	ix.SignedBy = signedBy
	return ix, nil
}

// verify returns the name of the key that verified, "" when untrusted but
// allowed.
func verify(sigs []apk.Signature, unsigned []byte, kr *keys.Keyring, allowUntrusted bool) (string, error) {
	return verifyDigest(sigs, memberDigest(unsigned, nil), kr, allowUntrusted)
}

// verifyDigest is verify with the member's digests given by digest.
func verifyDigest(sigs []apk.Signature, digest func(crypto.Hash) []byte, kr *keys.Keyring, allowUntrusted bool) (string, error) {
	if len(sigs) == 0 {
		if allowUntrusted {
			return "", nil
		}
		return "", fmt.Errorf("%w: sign it (pestle sign-index) or allow untrusted indexes", ErrUnsigned)
	}
	var names []string
	for _, s := range sigs {
		names = append(names, s.KeyName)
		h := s.Hash
		if h == 0 || kr == nil {
			continue
		}
		if _, ok := kr.Lookup(s.KeyName); !ok {
			continue
		}
		if err := kr.Verify(s.KeyName, h, digest(h), s.Value); err != nil {
			return "", fmt.Errorf("index signature %s: %w", s.EntryName(), err)
		}
		return s.KeyName, nil
	}
	if allowUntrusted {
		return "", nil
	}
	return "", &UntrustedError{Keys: names}
}

// UntrustedError is an index signed only by keys the keyring lacks. It
// matches keys.ErrUntrusted.
type UntrustedError struct {
	Keys []string // the signers' key names
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("%v: index signed by %s, and no key of that name is in the keyring: add the public key file under that name",
		keys.ErrUntrusted, strings.Join(e.Keys, ", "))
}

func (e *UntrustedError) Unwrap() error { return keys.ErrUntrusted }

// Split separates an index file into its signature entries and the unsigned
// bytes after the signature member. An index whose first entry is not a
// ".SIGN." entry is unsigned: Split returns no signatures and all of data.
// Signature entries larger than 64 KiB are skipped, as apk-tools 3 does.
func Split(data []byte) ([]apk.Signature, []byte, error) {
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not gzip: %v", ErrFormat, err)
	}
	zr.Multistream(false)
	tr := tar.NewReader(zr)
	var sigs []apk.Signature
	for first := true; ; first = false {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if first {
				return nil, nil, fmt.Errorf("%w: first gzip member: %v", ErrFormat, err)
			}
			return nil, nil, fmt.Errorf("%w: signature member: %v", ErrFormat, err)
		}
		rest, isSig := strings.CutPrefix(hdr.Name, ".SIGN.")
		if !isSig {
			if first {
				return nil, data, nil
			}
			return nil, nil, fmt.Errorf("%w: signature member also holds %q: the signature entries must be alone in the first gzip member", ErrFormat, clipS(hdr.Name))
		}
		typ, keyName, ok := strings.Cut(rest, ".")
		if !ok || typ == "" || keyName == "" {
			return nil, nil, fmt.Errorf("%w: signature entry %q is not .SIGN.<TYPE>.<keyname>", ErrFormat, clipS(hdr.Name))
		}
		if hdr.Size > maxSignature {
			continue
		}
		val, err := io.ReadAll(tr)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: signature entry %s: %v", ErrFormat, clipS(hdr.Name), err)
		}
		sig := apk.Signature{Type: typ, KeyName: keyName, Value: val}
		if h, err := keys.HashForType(typ); err == nil {
			sig.Hash = h
		}
		sigs = append(sigs, sig)
	}
	// A signature member ends without the end-of-archive blocks, but
	// tolerate them: read to the member's end so br sits right after it.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, nil, fmt.Errorf("%w: signature member: %v", ErrFormat, err)
	}
	off := len(data) - br.Len()
	if off >= len(data) {
		return nil, nil, fmt.Errorf("%w: nothing follows the signature member", ErrFormat)
	}
	return sigs, data[off:], nil
}

// readContent parses the unsigned part: gzip, tar with APKINDEX and an
// optional DESCRIPTION.
func readContent(unsigned []byte) (*Index, error) {
	var ix *Index
	desc, err := walkContent(unsigned, func(r io.Reader, _ int64) (err error) {
		ix, err = ParseTextIndex(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	ix.Description = desc
	return ix, nil
}

// walkContent reads the unsigned part: the APKINDEX entry goes to onText
// with the size its header claims (at most maxText bytes are readable), and
// onText must read it all; the DESCRIPTION is returned. The gzip member is
// read to its end so its CRC and any trailing bytes are checked.
func walkContent(unsigned []byte, onText func(r io.Reader, size int64) error) (string, error) {
	// pgzip inflates in its own goroutine, ahead of the reader.
	zr, err := pgzip.NewReaderN(bytes.NewReader(unsigned), 256<<10, 4)
	if err != nil {
		return "", fmt.Errorf("%w: index member is not gzip: %v", ErrFormat, err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var desc string
	seen := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%w: index tar: %v", ErrFormat, err)
		}
		switch hdr.Name {
		case "APKINDEX":
			if seen {
				return "", fmt.Errorf("%w: two APKINDEX entries", ErrFormat)
			}
			seen = true
			lr := &io.LimitedReader{R: tr, N: maxText}
			if err := onText(lr, hdr.Size); err != nil {
				return "", err
			}
			if lr.N <= 0 {
				return "", fmt.Errorf("%w: APKINDEX text is larger than %d bytes", ErrFormat, int64(maxText))
			}
		case "DESCRIPTION":
			b, err := io.ReadAll(io.LimitReader(tr, maxDescription))
			if err != nil {
				return "", fmt.Errorf("%w: DESCRIPTION: %v", ErrFormat, err)
			}
			desc = string(b)
		}
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return "", fmt.Errorf("%w: index member: %v", ErrFormat, err)
	}
	if !seen {
		return "", fmt.Errorf("%w: no APKINDEX entry in the archive", ErrFormat)
	}
	return desc, nil
}
