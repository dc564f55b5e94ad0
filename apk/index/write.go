package index

import (
	"archive/tar"
	"bytes"
	"crypto"
	"fmt"
	"io"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// indexLevel is the compression level of the index member.
const indexLevel = 2

// Write writes ix as an APKINDEX.tar.gz: one gzip member holding a POSIX
// ustar archive with APKINDEX then DESCRIPTION (mode 0644, root/root, mtime
// sourceDateEpoch) and its end-of-archive blocks. With a signer, a
// signature member (.SIGN.<TYPE>.<name>, no end-of-archive blocks) over
// those bytes is written first (see Sign). The same inputs always give the
// same bytes.
func Write(w io.Writer, ix *Index, s *keys.Signer, sourceDateEpoch int64) error {
	unsigned, err := Marshal(ix, sourceDateEpoch)
	if err != nil {
		return err
	}
	if s != nil {
		sig, err := Sign(unsigned, s, sourceDateEpoch)
		if err != nil {
			return err
		}
		if _, err := w.Write(sig); err != nil {
			return err
		}
	}
	_, err = w.Write(unsigned)
	return err
}

// Marshal returns the unsigned index member of ix (see Write).
func Marshal(ix *Index, sourceDateEpoch int64) ([]byte, error) {
	unsigned, _, err := marshalIndex(ix, sourceDateEpoch)
	return unsigned, err
}

// marshalIndex is Marshal, also returning the member's segment layout.
func marshalIndex(ix *Index, sourceDateEpoch int64) ([]byte, *layout, error) {
	parts, lay, err := marshalIndexParts(ix, sourceDateEpoch)
	if err != nil {
		return nil, nil, err
	}
	return concat(parts), lay, nil
}

// marshalIndexParts is marshalIndex returning the member as pieces.
func marshalIndexParts(ix *Index, sourceDateEpoch int64) ([][]byte, *layout, error) {
	if sourceDateEpoch < 0 {
		return nil, nil, fmt.Errorf("index mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	return marshalPackages(sorted(ix.Packages), ix.Description, time.Unix(sourceDateEpoch, 0))
}

// marshalText packs APKINDEX text and a description into the unsigned
// index member.
func marshalText(text []byte, description string, sourceDateEpoch int64) ([]byte, error) {
	unsigned, _, err := marshalMerged(&mergedText{whole: text}, description, sourceDateEpoch)
	return unsigned, err
}

// marshalMerged is marshalText over merged text, also returning the
// layout of the member: one gzip member whose deflate stream is cut into
// independently compressed segments (segwrite.go), compressed on every
// CPU; the bytes depend only on the content. Level 2 is both faster and
// smaller than the default on index text.
func marshalMerged(text *mergedText, description string, sourceDateEpoch int64) ([]byte, *layout, error) {
	if sourceDateEpoch < 0 {
		return nil, nil, fmt.Errorf("index mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	return marshalSegmented(text, description, time.Unix(sourceDateEpoch, 0))
}

func entryHeader(name string, size int, mtime time.Time) *tar.Header {
	return &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     int64(size),
		Mode:     0o644,
		Uname:    "root",
		Gname:    "root",
		ModTime:  mtime,
		Format:   tar.FormatUSTAR,
	}
}

// Sign returns the signature member to put in front of unsigned: a gzip
// member holding one ".SIGN.<TYPE>.<keyName>" entry with the RSA PKCS#1
// v1.5 signature of unsigned's digest by s, and no end-of-archive blocks.
func Sign(unsigned []byte, s *keys.Signer, sourceDateEpoch int64) ([]byte, error) {
	return signParts([][]byte{unsigned}, nil, s, sourceDateEpoch)
}

// signParts is Sign over the member given as pieces; sum, when not nil,
// is their SHA-256, which an RSA256 signature then does not compute again.
func signParts(parts [][]byte, sum *[32]byte, s *keys.Signer, sourceDateEpoch int64) ([]byte, error) {
	if sourceDateEpoch < 0 {
		return nil, fmt.Errorf("signature mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("signing the index: %w", err)
	}
	h := s.Hash
	if h == 0 {
		h = crypto.SHA256
	}
	typ, err := keys.TypeForHash(h)
	if err != nil {
		return nil, err
	}
	var digest []byte
	if h == crypto.SHA256 && sum != nil {
		digest = sum[:]
	} else {
		d := h.New()
		for _, p := range parts {
			d.Write(p)
		}
		digest = d.Sum(nil)
	}
	sig, err := keys.Sign(s.Key, h, digest)
	if err != nil {
		return nil, fmt.Errorf("signing the index with %s: %w", s.Name, err)
	}
	keyName := s.Name
	var entry bytes.Buffer
	tw := tar.NewWriter(&entry)
	hdr := entryHeader(apk.Signature{Type: typ, KeyName: keyName}.EntryName(), len(sig), time.Unix(sourceDateEpoch, 0))
	hdr.Format = tar.FormatUnknown // USTAR when the name fits, else PAX
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("signature entry for key %q: %w", keyName, err)
	}
	if _, err := tw.Write(sig); err != nil {
		return nil, err
	}
	// Flush pads the entry; Close would add the end-of-archive blocks that
	// apk-tools rejects in the signature member.
	if err := tw.Flush(); err != nil {
		return nil, err
	}
	// One gzip member, compressed by the index's own (pooled) compressor.
	fw := getDeflater()
	defer putDeflater(fw)
	out := bytes.NewBuffer(append(make([]byte, 0, entry.Len()+64), gzipHeader...))
	seg := deflateSegment(fw, out, entry.Bytes(), true)
	return append(out.Bytes(), gzipTrailer(seg)...), nil
}
