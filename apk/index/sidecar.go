package index

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// The sidecar of an index file X is the hidden file .X.seg beside it. It
// describes X's member as segments (segwrite.go), binary:
//
//	magic "pestle-segments-1\n"
//	uvarint member size, 32 bytes SHA-256 of the member
//	header segment, uvarint n, n text segments, final segment
//	32 bytes HMAC-SHA-256 of everything before (sidecarSum)
//
// where a segment is uvarint clen, uvarint ulen, 4 bytes CRC-32 (little
// endian), and for text segments also uvarint records and the first and
// last record's keys (name, version, arch as uvarint length + bytes, the
// checksum as one length byte + bytes). Segments follow each other from
// the end of the gzip header to the start of the trailer, so offsets are
// implied. The sidecar is only a hint: it is bound to the member by size
// and hash, every field is bounded and checked, and a merge that finds it
// missing, stale or inconsistent takes the full path, which writes a new
// one.

const sidecarMagic = "pestle-segments-1\n"

// Bounds on a sidecar: its size, and the length of a key string.
const (
	maxSidecar  = 64 << 20
	maxKeyField = 4 << 10
)

// sidecarPath returns the sidecar's path for the index file at path.
func sidecarPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".seg")
}

// sidecarKey returns the key that authenticates the sidecars of indexes
// signed by s, derived from its private key, so that a sidecar whose
// index is signed cannot be forged without the key; nil without a signer.
func sidecarKey(s *keys.Signer) []byte {
	if s == nil || s.Key == nil {
		return nil
	}
	k, err := hkdf.Key(sha256.New, s.Key.D.Bytes(), nil, "pestle index sidecar", 32)
	if err != nil {
		return nil
	}
	return k
}

// sidecarSum authenticates body with key, or only checksums it when key
// is nil.
func sidecarSum(key, body []byte) []byte {
	if key == nil {
		sum := sha256.Sum256(body)
		return sum[:]
	}
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)
}

// encodeSidecar serialises a layout, authenticated with key.
func encodeSidecar(l *layout, key []byte) []byte {
	b := append([]byte(nil), sidecarMagic...)
	b = binary.AppendUvarint(b, uint64(l.size))
	b = append(b, l.sum[:]...)
	b = appendSeg(b, &l.hdr, false)
	b = binary.AppendUvarint(b, uint64(len(l.text)))
	for i := range l.text {
		b = appendSeg(b, &l.text[i], true)
	}
	b = appendSeg(b, &l.final, false)
	return append(b, sidecarSum(key, b)...)
}

func appendSeg(b []byte, s *segment, text bool) []byte {
	b = binary.AppendUvarint(b, uint64(s.clen))
	b = binary.AppendUvarint(b, uint64(s.ulen))
	b = binary.LittleEndian.AppendUint32(b, s.crc)
	if !text {
		return b
	}
	b = binary.AppendUvarint(b, uint64(s.nrec))
	return appendKey(appendKey(b, &s.first), &s.last)
}

func appendKey(b []byte, k *recordKey) []byte {
	for _, f := range []string{k.name, k.version, k.arch} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	b = append(b, byte(len(k.sum)))
	return append(b, k.sum...)
}

// errSidecar marks a sidecar that does not describe its index.
var errSidecar = errors.New("index sidecar")

// sidecarReader decodes fields with bounds; the first failure sticks.
// Strings are slices of str, which holds the same bytes as b, so the
// keys of a thousand segments cost one allocation.
type sidecarReader struct {
	b   []byte
	str string
	err error
}

func (r *sidecarReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: bad %s", errSidecar, what)
	}
}

func (r *sidecarReader) uint(what string, max uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > max {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *sidecarReader) bytes(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail(what)
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// string is bytes as a string.
func (r *sidecarReader) string(what string, n int) string {
	at := len(r.str) - len(r.b)
	if r.bytes(what, n) == nil {
		return ""
	}
	return r.str[at : at+n]
}

func (r *sidecarReader) seg(s *segment, text bool) {
	s.clen = int64(r.uint("compressed length", maxArchive))
	s.ulen = int64(r.uint("length", maxText+1<<20))
	if c := r.bytes("crc", 4); c != nil {
		s.crc = binary.LittleEndian.Uint32(c)
	}
	if !text {
		return
	}
	s.nrec = int(r.uint("record count", maxText))
	r.key(&s.first)
	r.key(&s.last)
}

func (r *sidecarReader) key(k *recordKey) {
	k.name = r.string("name", int(r.uint("name length", maxKeyField)))
	k.version = r.string("version", int(r.uint("version length", maxKeyField)))
	k.arch = r.string("arch", int(r.uint("arch length", maxKeyField)))
	n := r.bytes("checksum length", 1)
	if n != nil && n[0] != 20 && n[0] != 32 {
		r.fail("checksum length")
		return
	}
	if n != nil {
		k.sum = r.bytes("checksum", int(n[0]))
	}
}

// parseSidecar decodes a sidecar authenticated with key and checks that its segments tile a
// member of the size it states, that the text segments are in key order
// and that the member's trailer matches them; it does not look at the
// member's hash.
func parseSidecar(data, key []byte) (*layout, error) {
	rest, ok := bytes.CutPrefix(data, []byte(sidecarMagic))
	if !ok || len(rest) < sha256.Size {
		return nil, fmt.Errorf("%w: not a sidecar", errSidecar)
	}
	body := data[:len(data)-sha256.Size]
	if !hmac.Equal(sidecarSum(key, body), data[len(body):]) {
		return nil, fmt.Errorf("%w: checksum or key", errSidecar)
	}
	rest = rest[:len(rest)-sha256.Size]
	r := &sidecarReader{b: rest, str: string(rest)}
	l := &layout{size: int64(r.uint("member size", maxArchive))}
	copy(l.sum[:], r.bytes("hash", 32))
	r.seg(&l.hdr, false)
	// A text segment takes at least 12 bytes here (6 lengths, a CRC).
	n := r.uint("segment count", uint64(len(r.b)/12))
	if r.err == nil {
		l.text = make([]segment, n)
	}
	for i := range l.text {
		r.seg(&l.text[i], true)
	}
	r.seg(&l.final, false)
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errSidecar, len(r.b))
	}
	return l, l.check()
}

// check tests what a layout says about itself.
func (l *layout) check() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", errSidecar, what) }
	total := int64(len(gzipHeader)) + 8
	for _, s := range l.all() {
		// Deflate expands at most 1032 times.
		if s.clen < 2 || s.ulen < 0 || s.ulen > 1032*s.clen {
			return bad("segment sizes")
		}
		total += s.clen
	}
	if l.textLen() > maxText {
		return bad("text larger than the limit")
	}
	if total != l.size {
		return bad("segments do not tile the member")
	}
	if l.hdr.ulen != 512 {
		return bad("header segment size")
	}
	if l.final.ulen < 3*512 || l.final.ulen > 6*512+maxDescription {
		return bad("final segment size")
	}
	for i := range l.text {
		s := &l.text[i]
		if s.nrec < 1 || s.ulen < 1 || compareKeys(&s.first, &s.last) > 0 {
			return bad("text segment")
		}
		if i > 0 && compareKeys(&l.text[i-1].last, &s.first) > 0 {
			return bad("text segments out of order")
		}
	}
	if (l.textLen()+l.final.ulen)%512 != 0 {
		return bad("final segment does not pad the text")
	}
	return nil
}

// all lists every segment in member order.
func (l *layout) all() []segment {
	return append(append([]segment{l.hdr}, l.text...), l.final)
}

// loadSidecar reads the sidecar of the index at path, bounded.
func loadSidecar(path string, key []byte) (*layout, error) {
	f, err := fsutil.OpenRegular(sidecarPath(path))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSidecar+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSidecar {
		return nil, fmt.Errorf("%w: larger than %d bytes", errSidecar, maxSidecar)
	}
	return parseSidecar(data, key)
}

// storeSidecar writes the sidecar of the index at path, or removes it
// when l is nil or cannot have one. It needs no fsync: a sidecar lost or torn by a crash is
// found not to match and ignored.
func storeSidecar(path string, l *layout, key []byte) error {
	sp := sidecarPath(path)
	if l == nil || l.noSidecar {
		if err := os.Remove(sp); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		return nil
	}
	f, err := fsutil.Create(sp)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(encodeSidecar(l, key)); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), sp)
}
