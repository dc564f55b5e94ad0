package apk

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/keys"
)

// maxControlEntry bounds each control entry kept in memory, and
// maxControlTotal all of them together (signatures included): a crafted
// package with many entries cannot make a reader hold more.
const (
	maxControlEntry = 16 << 20
	maxControlTotal = 32 << 20
)

// ReadOptions configures Read.
//
// HashDataOnly is the mode for indexing: the signature and control
// segments are read and checked as usual (signature with Keyring, .PKGINFO,
// identity), but the data segment is only hashed as its compressed bytes
// stream by and compared with datahash; it is never inflated, so per-file
// checksums, entry names and the data tar structure are not checked and
// there are no entries. A truncated file, bytes after the data member and
// changed data all fail as a datahash mismatch. This is as much as
// apk-tools' "apk index" checks, at a fraction of the cost of a full read.
// It cannot be combined with ExtractTo or OnEntry (KindInvalid). A legacy
// package without datahash (SkipDataHash) has its data segment hashed into
// the identity and signature digests instead; if its data shares the
// control member, that member is inflated and checked in full anyway.
type ReadOptions struct {
	Keyring        *keys.Keyring     // nil: signatures are parsed but not checked
	AllowUntrusted bool              // with Keyring set: no key of that name is not an error
	ExpectChecksum []byte            // non-nil: the control member's SHA-1 must equal it (index C:)
	ExtractTo      string            // non-empty: extract the data segment into this existing directory
	OnEntry        func(Entry) error // called for every data entry, in archive order, once it is verified
	// Undo, with ExtractTo, receives what the extraction changed; the
	// caller then calls its Commit or Rollback. Nil: Read keeps a package
	// it read whole and takes back one it refused.
	Undo         *Undo
	SkipDataHash bool         // accept legacy packages without datahash (signature over control+data)
	HashDataOnly bool         // do not inflate the data segment, only check its datahash (see above)
	Source       string       // names the package in errors until .PKGINFO is read (e.g. the file name)
	Logger       *slog.Logger // warnings (skipped device nodes, xattrs that could not be set); nil: silent

	stream bool // tests: stream the input even if it fits in memory
}

// Package is what Read found in a package.
type Package struct {
	Info       *PackageInfo      // with Checksum and FileSize set
	Signatures []Signature       // every .SIGN entry, in archive order
	Control    map[string][]byte // every control entry except .PKGINFO (".post-install", ".melange.yaml", ...)
	PKGINFO    []byte            // the raw .PKGINFO
	Verified   string            // name of the key that verified the signature, "" if none did
}

// Entry is one entry of the data segment. Name is a clean relative path
// without a trailing slash.
type Entry struct {
	Name           string
	Type           byte // tar typeflag
	Mode           int64
	UID, GID       int
	Uname, Gname   string
	Size           int64
	Linkname       string
	Devmajor       int64 // character and block devices
	Devminor       int64
	SHA1           []byte // content SHA-1 (for a symlink: of its target; a hard link: its target's); nil for dirs
	Xattrs         map[string]string
	ModTime        time.Time
	PAXRecords     map[string]string // the entry's PAX records, as read
	checksumMD5Hex string
}

// ChecksumString is the installed-database form of the entry's SHA-1:
// "Q1" + base64 (empty when there is none).
func (e Entry) ChecksumString() string {
	if e.SHA1 == nil {
		return ""
	}
	return "Q1" + base64.StdEncoding.EncodeToString(e.SHA1)
}

// ReadFile opens path and Reads it; errors name the file until its
// .PKGINFO is known.
func ReadFile(path string, opts ReadOptions) (*Package, error) {
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opts.Source == "" {
		opts.Source = filepath.Base(path)
	}
	return Read(f, opts)
}

func openFile(path string) (*os.File, error) {
	f, err := openRead(path)
	if err != nil {
		return nil, &Error{Package: filepath.Base(path), Kind: KindIO, Err: err}
	}
	return f, nil
}

// Read streams one .apk once: it splits the gzip members, parses the
// signature, control and data segments, and verifies as it goes: the
// signature (with opts.Keyring), datahash, every per-file
// APK-TOOLS.checksum.SHA1 (regular files and symlinks; hard links take
// their target's), the identity (opts.ExpectChecksum) and the structure
// that apk-tools relies on. It fills Info.Checksum (SHA-1 of the compressed
// control member, the index C:) and Info.FileSize.
//
// With opts.HashDataOnly the data segment is only hashed, not inflated
// (see ReadOptions).
//
// With opts.ExtractTo, files are written under that root as they arrive,
// each through a temporary name renamed into place once its checksum
// matches; nothing is ever written outside the root. A datahash mismatch
// is only known at the end, so on any error the caller must treat the
// extraction root as garbage.
func Read(r io.Reader, opts ReadOptions) (*Package, error) {
	if opts.HashDataOnly && (opts.ExtractTo != "" || opts.OnEntry != nil) {
		return nil, &Error{Package: opts.Source, Kind: KindInvalid,
			Err: errf("ReadOptions.HashDataOnly leaves the data segment packed: it cannot be combined with ExtractTo or OnEntry")}
	}
	st := getReadState(r)
	defer st.put()
	if !opts.stream {
		st.t.load()
	}
	rd := &reader{
		opts:  opts,
		st:    st,
		t:     &st.t,
		zr:    st.zr,
		pkg:   &Package{Control: map[string][]byte{}},
		name:  opts.Source,
		files: map[string][]byte{},
	}
	if opts.ExtractTo != "" {
		x, err := newExtractor(opts.ExtractTo, opts.Logger)
		if err != nil {
			return nil, rd.fail(KindIO, "", err)
		}
		defer x.close()
		if opts.Undo != nil {
			opts.Undo.root = opts.ExtractTo
			x.undo = opts.Undo
		}
		rd.x = x
	}
	if err := rd.run(); err != nil {
		if rd.x != nil && opts.Undo == nil {
			if uerr := rd.x.undo.Rollback(); uerr != nil {
				return nil, errors.Join(err, rd.fail(KindIO, "", uerr))
			}
		}
		return nil, err
	}
	if rd.x != nil && opts.Undo == nil {
		if err := rd.x.undo.Commit(); err != nil {
			return nil, rd.fail(KindIO, "", err)
		}
	}
	return rd.pkg, nil
}

type phase int

const (
	phaseStart phase = iota
	phaseSig
	phaseControl
	phaseData
)

type reader struct {
	opts ReadOptions
	st   *readState // t, zr and the copy buffer, from a pool
	t    *tap
	zr   *gzip.Reader
	pkg  *Package
	name string
	x    *extractor

	phase      phase
	member     int
	identity   hash.Hash // SHA-1 from the start of control
	sigDigest  hash.Hash // the chosen signature's digest from the start of control
	dataDigest hash.Hash // SHA-256 of the data member
	chosen     *Signature
	pub        *rsa.PublicKey
	legacy     bool              // no datahash: identity and signature span control+data
	dataStart  int64             // offset of the data segment, once HashDataOnly reaches it
	files      map[string][]byte // regular file name -> SHA-1, for hard links
	kept       int64             // bytes of signature and control entries held
}

// keep counts n more bytes of control or signature entries held in memory
// and refuses to go past maxControlTotal.
func (rd *reader) keep(name string, n int) error {
	rd.kept += int64(n)
	if rd.kept > maxControlTotal {
		return rd.corrupt(name, "the signature and control entries hold more than %d bytes together (limit %d)", rd.kept, maxControlTotal)
	}
	return nil
}

func (rd *reader) fail(kind ErrorKind, file string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Package: rd.name, File: file, Kind: kind, Err: err}
}

func (rd *reader) corrupt(file, format string, args ...any) error {
	return rd.fail(KindCorrupted, file, errf(format, args...))
}

// run reads the members one by one. Before each member it points the tap
// at the digests that member feeds, as apk-tools does at each gzip
// boundary.
func (rd *reader) run() error {
	for rd.member = 0; ; rd.member++ {
		afterData := rd.phase == phaseData
		if err := rd.boundary(); err != nil {
			return err
		}
		if rd.opts.HashDataOnly && rd.phase == phaseData && !afterData {
			if err := rd.hashData(); err != nil {
				return err
			}
			break
		}
		start := rd.t.count() // where this member starts, for errors
		err := rd.zr.Reset(rd.t.src())
		if err == io.EOF && rd.member > 0 {
			break
		}
		if err != nil {
			if err == io.EOF {
				return rd.corrupt("", "empty file: an .apk starts with a gzip member")
			}
			if errors.Is(err, syscall.EISDIR) {
				return rd.fail(KindIO, "", errors.New("is a directory, not a package file: name the .apk files in it"))
			}
			if afterData {
				return rd.corrupt("", "%d bytes after the data segment that are not a gzip member (%v)", rd.remaining(), err)
			}
			return rd.corrupt("", "gzip member %d at byte %d: %v", rd.member+1, start, gzipErr(err))
		}
		if afterData {
			return rd.corrupt("", "a second gzip member after the data segment (at byte %d): apk v3 rejects data split over several members", start)
		}
		rd.zr.Multistream(false)
		if err := rd.readMember(); err != nil {
			return err
		}
	}
	return rd.finish()
}

// remaining counts what is left of the input, for error messages.
func (rd *reader) remaining() int64 {
	return rd.t.rest()
}

// boundary is called before each member is read.
func (rd *reader) boundary() error {
	rd.t.sync()
	switch rd.phase {
	case phaseStart:
		// Member 1 may be control (unsigned): hash it as such until we know.
		rd.identity = sha1.New()
		rd.t.setSink(rd.identity)
	case phaseSig:
		rd.chosen, rd.pub = chooseSignature(rd.pkg.Signatures, rd.opts.Keyring)
		rd.identity = sha1.New()
		if rd.chosen != nil {
			rd.sigDigest = rd.chosen.Hash.New()
			rd.t.setSink(io.MultiWriter(rd.identity, rd.sigDigest))
		} else {
			rd.t.setSink(rd.identity)
		}
		rd.phase = phaseControl
	case phaseControl:
		if err := rd.endControl(); err != nil {
			return err
		}
		if !rd.legacy {
			rd.dataDigest = sha256.New()
			rd.t.setSink(rd.dataDigest)
		}
		rd.phase = phaseData
	}
	return nil
}

// endControl runs once the control segment is complete: it parses
// .PKGINFO and, unless the package is legacy, checks identity and signature.
func (rd *reader) endControl() error {
	if rd.pkg.PKGINFO == nil {
		return rd.corrupt("", "no .PKGINFO in the control segment")
	}
	info, err := ParsePKGINFO(rd.pkg.PKGINFO)
	if err != nil {
		return rd.corrupt(".PKGINFO", "%v", err)
	}
	rd.pkg.Info = info
	rd.name = info.Name + "-" + info.Version
	if info.DataHash == "" {
		if !rd.opts.SkipDataHash {
			return rd.corrupt(".PKGINFO", "no datahash: a legacy package (signature over control and data); read it with SkipDataHash if that is expected")
		}
		rd.legacy = true
	} else if len(info.DataHash) != 64 || !isHex(info.DataHash) {
		return rd.corrupt(".PKGINFO", "datahash %q is not 64 hex digits", info.DataHash)
	}
	if rd.opts.Keyring != nil && rd.chosen == nil && !rd.opts.AllowUntrusted {
		return rd.fail(KindUntrusted, "", untrustedReason(rd.pkg.Signatures, rd.opts.Keyring))
	}
	if rd.legacy {
		return nil
	}
	return rd.checkIdentity()
}

// checkIdentity finishes the control digests: C:, ExpectChecksum and the
// signature.
func (rd *reader) checkIdentity() error {
	sum := rd.identity.Sum(nil)
	rd.pkg.Info.Checksum = sum
	if rd.opts.ExpectChecksum != nil && !bytes.Equal(sum, rd.opts.ExpectChecksum) {
		return rd.corrupt("", "identity mismatch: the control member's SHA-1 is Q1%s, the index says Q1%s",
			base64.StdEncoding.EncodeToString(sum), base64.StdEncoding.EncodeToString(rd.opts.ExpectChecksum))
	}
	if rd.chosen == nil {
		return nil
	}
	if err := rsa.VerifyPKCS1v15(rd.pub, rd.chosen.Hash, rd.sigDigest.Sum(nil), rd.chosen.Value); err != nil {
		return rd.fail(KindBadSignature, "", errf("key %q does not verify it", rd.chosen.KeyName))
	}
	rd.pkg.Verified = rd.chosen.KeyName
	return nil
}

// finish runs at the end of the input.
func (rd *reader) finish() error {
	rd.t.sync()
	if rd.phase == phaseSig {
		return rd.corrupt("", "truncated: the package ends after its signature segment")
	}
	if rd.phase == phaseControl {
		if err := rd.endControl(); err != nil {
			return err
		}
		rd.phase = phaseData
		if !rd.legacy {
			rd.dataDigest = sha256.New()
		}
	}
	rd.t.setSink(nil)
	if rd.legacy {
		if err := rd.checkIdentity(); err != nil {
			return err
		}
	} else if got := hex.EncodeToString(rd.dataDigest.Sum(nil)); got != strings.ToLower(rd.pkg.Info.DataHash) {
		if rd.opts.HashDataOnly {
			return rd.corrupt("", "datahash mismatch: .PKGINFO says %s, the %d bytes after the control segment hash to %s (changed, truncated or extended data)",
				rd.pkg.Info.DataHash, rd.t.count()-rd.dataStart, got)
		}
		return rd.corrupt("", "datahash mismatch: .PKGINFO says %s, the data segment hashes to %s", rd.pkg.Info.DataHash, got)
	}
	if rd.x != nil {
		if err := rd.x.finish(); err != nil {
			return rd.fail(KindIO, "", err)
		}
	}
	rd.pkg.Info.FileSize = rd.t.count()
	return nil
}

// hashData is the data segment in HashDataOnly mode: the rest of the
// input goes through the tap into the current digests (datahash, or the
// identity and signature of a legacy package) without being inflated.
func (rd *reader) hashData() error {
	rd.dataStart = rd.t.count()
	head, err := rd.t.peek(len(gzipMagic))
	switch {
	case len(head) == 0 && err == io.EOF:
		return rd.corrupt("", "truncated: the package ends after its control segment (at byte %d)", rd.t.count())
	case err != nil && err != io.EOF:
		return rd.fail(KindIO, "", err)
	case !bytes.Equal(head, gzipMagic):
		return rd.corrupt("", "the data segment at byte %d does not start with a gzip header", rd.t.count())
	}
	if err := rd.t.drain(); err != nil {
		return rd.fail(KindIO, "", err)
	}
	return nil
}

// gzipMagic starts every gzip member of a package (ID1, ID2, CM=deflate).
var gzipMagic = []byte{0x1f, 0x8b, 8}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// gzipErr makes decoder errors readable.
func gzipErr(err error) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errf("truncated")
	case errors.Is(err, gzip.ErrChecksum):
		return errf("gzip CRC mismatch")
	case errors.Is(err, gzip.ErrHeader):
		return errf("not a gzip header")
	}
	return err
}
