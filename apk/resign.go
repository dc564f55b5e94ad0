package apk

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/pestle-dev/pestle/keys"
)

// Resign copies the package on r to w with its signature member replaced
// by one signature of the compressed control member made by s. The control and data members are
// copied byte for byte, and the data member is checked against datahash on
// the way: on error, discard what was written to w. Unsigned packages get
// a signature; legacy packages (no datahash, signature over control and
// data) are refused.
func Resign(r io.Reader, w io.Writer, s *keys.Signer) error {
	rs := &resigner{t: newTap(r)}
	if err := rs.readHead(); err != nil {
		return err
	}
	info, err := ParsePKGINFO(rs.pkginfo)
	if err != nil {
		return &Error{Package: rs.name, File: ".PKGINFO", Kind: KindCorrupted, Err: err}
	}
	rs.name = info.Name + "-" + info.Version
	if info.DataHash == "" {
		return &Error{Package: rs.name, Kind: KindInvalid, Err: errf("no datahash: legacy packages, whose signature covers control and data, cannot be re-signed; rebuild it")}
	}
	if s == nil || s.Key == nil || s.Name == "" {
		return &Error{Package: rs.name, Kind: KindInvalid, Err: errf("re-signing needs a key and its name")}
	}
	sig, err := signatureMember(rs.control, s, rs.mtime)
	if err != nil {
		return &Error{Package: rs.name, Kind: KindInvalid, Err: err}
	}
	for _, b := range [][]byte{sig, rs.control} {
		if _, err := w.Write(b); err != nil {
			return &Error{Package: rs.name, Kind: KindIO, Err: err}
		}
	}
	d := sha256.New()
	rs.t.setSink(nil)
	if _, err := io.Copy(io.MultiWriter(w, d), rs.t); err != nil {
		return &Error{Package: rs.name, Kind: KindIO, Err: err}
	}
	if got := hex.EncodeToString(d.Sum(nil)); got != strings.ToLower(info.DataHash) {
		return &Error{Package: rs.name, Kind: KindCorrupted, Err: errf("datahash mismatch: .PKGINFO says %s, the data segment hashes to %s", info.DataHash, got)}
	}
	return nil
}

type resigner struct {
	t       *tap
	name    string
	control []byte
	pkginfo []byte
	mtime   time.Time
}

// readHead reads the first member, and the second if the first held
// signatures, keeping the raw bytes of the control member.
func (rs *resigner) readHead() error {
	var raw bytes.Buffer
	rs.t.setSink(&raw)
	zr, err := gzip.NewReader(rs.t)
	if err != nil {
		return rs.corrupt("gzip member 1 at byte 0: %v", gzipErr(err))
	}
	zr.Multistream(false)
	signed, err := rs.segment(zr)
	if err != nil {
		return err
	}
	if signed {
		raw.Reset()
		if err := zr.Reset(rs.t); err != nil {
			return rs.corrupt("no control member after the signature: %v", gzipErr(err))
		}
		zr.Multistream(false)
		if signed, err = rs.segment(zr); err != nil {
			return err
		}
		if signed {
			return rs.corrupt("two signature members")
		}
	}
	rs.t.setSink(nil)
	rs.control = bytes.Clone(raw.Bytes())
	if rs.pkginfo == nil {
		return rs.corrupt("no .PKGINFO in the control member")
	}
	return nil
}

// segment reads one member's tar segment; it reports whether it held
// signatures, and keeps .PKGINFO and its mtime.
func (rs *resigner) segment(zr *gzip.Reader) (signed bool, err error) {
	tr := tar.NewReader(zr)
	for i := 0; ; i++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return false, rs.corrupt("%v", tarErr(err))
		}
		if i == 0 {
			signed = strings.HasPrefix(hdr.Name, signPrefix)
		}
		if hdr.Name == ".PKGINFO" && !signed {
			if hdr.Size > maxControlEntry {
				return false, rs.corrupt(".PKGINFO of %d bytes", hdr.Size)
			}
			if rs.pkginfo, err = io.ReadAll(tr); err != nil {
				return false, rs.corrupt("%v", tarErr(err))
			}
			rs.mtime = hdr.ModTime
		}
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return false, rs.corrupt("%v", gzipErr(err))
	}
	return signed, nil
}

func (rs *resigner) corrupt(format string, args ...any) error {
	return &Error{Package: rs.name, Kind: KindCorrupted, Err: errf(format, args...)}
}

// ResignFile re-signs the package at path in place, atomically.
func ResignFile(path string, s *keys.Signer) error {
	src, err := openFile(path)
	if err != nil {
		return err
	}
	defer src.Close()
	err = writeAtomic(path, func(w io.Writer) error { return Resign(src, w, s) })
	var e *Error
	if errors.As(err, &e) && e.Package == "" {
		e.Package = path
	}
	return err
}
