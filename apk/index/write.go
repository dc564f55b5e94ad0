package index

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// Compression of the index member: level and parallel block size.
const (
	indexLevel = 2
	indexBlock = 256 << 10
)

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
	if sourceDateEpoch < 0 {
		return nil, fmt.Errorf("index mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	var text bytes.Buffer
	text.Grow(len(ix.Packages)*448 + 4096)
	if err := ix.WriteText(&text); err != nil {
		return nil, err
	}
	return marshalText(text.Bytes(), ix.Description, sourceDateEpoch)
}

// marshalText packs APKINDEX text and a description into the unsigned
// index member.
func marshalText(text []byte, description string, sourceDateEpoch int64) ([]byte, error) {
	return marshalMerged(&mergedText{whole: text}, description, sourceDateEpoch)
}

// marshalMerged is marshalText over merged text.
func marshalMerged(text *mergedText, description string, sourceDateEpoch int64) ([]byte, error) {
	if sourceDateEpoch < 0 {
		return nil, fmt.Errorf("index mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	var out bytes.Buffer
	size := text.size()
	out.Grow(size/4 + 4096)
	// One gzip member compressed in parallel blocks; the block boundaries
	// depend only on the content, so the bytes are the same on any machine.
	// Level 2 is both faster and smaller than the default on index text.
	zw, err := pgzip.NewWriterLevel(&out, indexLevel)
	if err != nil {
		return nil, err
	}
	if err := zw.SetConcurrency(indexBlock, 2*runtime.GOMAXPROCS(0)); err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	mtime := time.Unix(sourceDateEpoch, 0)
	if err := tw.WriteHeader(entryHeader("APKINDEX", size, mtime)); err != nil {
		return nil, err
	}
	if err := text.writeTo(tw); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(entryHeader("DESCRIPTION", len(description), mtime)); err != nil {
		return nil, err
	}
	if _, err := tw.Write([]byte(description)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
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
	if sourceDateEpoch < 0 {
		return nil, fmt.Errorf("signature mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	typ, _, sig, err := s.SignData(unsigned)
	if err != nil {
		return nil, fmt.Errorf("signing the index: %w", err)
	}
	keyName := s.Name
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
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
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
