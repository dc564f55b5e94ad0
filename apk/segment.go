package apk

import (
	"archive/tar"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"path"
	"strings"
)

// PAX record keys apk-tools reads.
const (
	paxSHA1      = "APK-TOOLS.checksum.SHA1"
	paxMD5       = "APK-TOOLS.checksum.MD5"
	paxXattrPref = "SCHILY.xattr."
)

// readMember parses the tar entries of the current gzip member.
func (rd *reader) readMember() error {
	src := io.Reader(rd.zr)
	if rd.phase == phaseData && rd.t.mem == nil && (rd.opts.ExtractTo != "" || rd.opts.OnEntry != nil) {
		// A large data segment being extracted: inflate ahead.
		ra := newReadAhead(rd.zr)
		defer ra.stop()
		src = ra
	}
	cr := &counter{r: src}
	tr := tar.NewReader(cr)
	var lastEnd int64
	entries := 0
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.corrupt("", "tar stream in gzip member %d: %v", rd.member+1, tarErr(err))
		}
		entries++
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		size := hdr.Size
		if headerOnly(hdr.Typeflag) {
			size = 0
		}
		lastEnd = cr.n + (size+511)&^511
		if rd.phase == phaseStart {
			rd.phase = phaseControl
			if strings.HasPrefix(hdr.Name, signPrefix) {
				rd.phase = phaseSig
			}
		}
		if err := rd.entry(hdr, tr); err != nil {
			return err
		}
	}
	if entries == 0 && rd.member == 0 {
		return rd.corrupt("", "the first gzip member holds no tar entry")
	}
	trailer := cr.n > lastEnd
	var rest zeroCheck
	if _, err := io.CopyBuffer(&rest, cr, rd.st.copyBuf(0)); err != nil {
		return rd.corrupt("", "gzip member %d: %v", rd.member+1, gzipErr(err))
	}
	switch {
	case rest.nonZero:
		return rd.corrupt("", "gzip member %d: %d bytes after the tar end-of-archive that are not zero", rd.member+1, rest.n)
	case trailer && rd.phase == phaseSig:
		return rd.corrupt("", "the signature segment ends with tar end-of-archive blocks: apk-tools rejects this")
	case trailer && rd.phase == phaseControl:
		return rd.corrupt("", "the control segment ends with tar end-of-archive blocks: apk-tools rejects this")
	}
	return nil
}

func headerOnly(t byte) bool {
	switch t {
	case tar.TypeLink, tar.TypeSymlink, tar.TypeChar, tar.TypeBlock, tar.TypeDir, tar.TypeFifo:
		return true
	}
	return false
}

func tarErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errf("truncated entry")
	}
	return err
}

// entry dispatches one tar entry by segment, as apk-tools classifies them:
// .SIGN.* first, then dot-names without "/" (control), then the rest (data).
func (rd *reader) entry(hdr *tar.Header, tr io.Reader) error {
	name := hdr.Name
	isSign := strings.HasPrefix(name, signPrefix)
	isControl := strings.HasPrefix(name, ".") && !strings.Contains(name, "/")
	switch rd.phase {
	case phaseSig:
		if !isSign {
			return rd.corrupt(name, "a non-signature entry in the signature segment: control must start a new gzip member")
		}
		return rd.signature(hdr, tr)
	case phaseControl:
		if isSign {
			return rd.corrupt(name, "a signature entry after the signature segment")
		}
		if isControl {
			return rd.control(hdr, tr)
		}
		// Data in the control member: only legacy packages may do that.
		if err := rd.endControl(); err != nil {
			return err
		}
		if !rd.legacy {
			return rd.corrupt(name, "control and data share one gzip member while .PKGINFO has a datahash")
		}
		rd.phase = phaseData
	}
	return rd.data(hdr, tr)
}

func (rd *reader) signature(hdr *tar.Header, tr io.Reader) error {
	s, ok := parseSignatureName(hdr.Name)
	if !ok {
		return rd.corrupt(hdr.Name, "malformed signature entry name (want .SIGN.<TYPE>.<keyname>)")
	}
	if hdr.Size > maxSignatureSize {
		return nil // ignored, as apk v3 does
	}
	if err := rd.keep(hdr.Name, int(hdr.Size)); err != nil {
		return err
	}
	v, err := readEntry(tr, hdr.Size)
	if err != nil {
		return rd.corrupt(hdr.Name, "%v", tarErr(err))
	}
	s.Value = v
	rd.pkg.Signatures = append(rd.pkg.Signatures, s)
	return nil
}

func (rd *reader) control(hdr *tar.Header, tr io.Reader) error {
	if hdr.Size > maxControlEntry {
		return rd.corrupt(hdr.Name, "control entry of %d bytes (limit %d)", hdr.Size, maxControlEntry)
	}
	if err := rd.keep(hdr.Name, int(hdr.Size)); err != nil {
		return err
	}
	v, err := readEntry(tr, hdr.Size)
	if err != nil {
		return rd.corrupt(hdr.Name, "%v", tarErr(err))
	}
	if hdr.Name == ".PKGINFO" {
		if rd.pkg.PKGINFO != nil {
			return rd.corrupt(hdr.Name, "a second .PKGINFO")
		}
		rd.pkg.PKGINFO = v
		return nil
	}
	rd.pkg.Control[hdr.Name] = v
	return nil
}

// readEntry is io.ReadAll for the rest of a tar entry whose header says
// size: the buffer starts at about that size (up to 64 KiB) instead of
// growing from 512 bytes.
func readEntry(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, min(max(size, 0), 64<<10)+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// cleanName checks a data entry name: relative, clean, no "..", no control
// characters. Directories may end in "/".
func (rd *reader) cleanName(hdr *tar.Header) (string, error) {
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	switch {
	case name == "":
		return "", rd.corrupt(hdr.Name, "empty entry name")
	case strings.HasPrefix(name, "/"):
		return "", rd.fail(KindUnsafePath, hdr.Name, errf("absolute entry name"))
	case name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") || strings.HasSuffix(name, "/.."):
		return "", rd.fail(KindUnsafePath, hdr.Name, errf("entry name climbs out of the root with \"..\""))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "", rd.corrupt(hdr.Name, "control character in entry name")
	case path.Clean(name) != name:
		return "", rd.corrupt(hdr.Name, "entry name is not a clean relative path (apk-tools ignores such names)")
	}
	return name, nil
}

// data verifies (and extracts) one data entry, then reports it.
func (rd *reader) data(hdr *tar.Header, tr io.Reader) error {
	name, err := rd.cleanName(hdr)
	if err != nil {
		return err
	}
	e := Entry{
		Name: name, Type: hdr.Typeflag, Mode: hdr.Mode & 0o7777,
		UID: hdr.Uid, GID: hdr.Gid, Uname: hdr.Uname, Gname: hdr.Gname,
		Linkname: hdr.Linkname, ModTime: hdr.ModTime, PAXRecords: hdr.PAXRecords,
		Devmajor: hdr.Devmajor, Devminor: hdr.Devminor,
	}
	for k, v := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return rd.corrupt(name, "a GNU sparse file: apk-tools does not support them")
		}
		if x, ok := strings.CutPrefix(k, paxXattrPref); ok {
			if e.Xattrs == nil {
				e.Xattrs = map[string]string{}
			}
			e.Xattrs[x] = v
		}
	}
	skip := strings.HasPrefix(name, ".") // apk-tools does not install dot-names
	if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeCont {
		delete(rd.files, name) // a hard link may only name a regular file
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont:
		e.Size = hdr.Size
		if err := rd.regular(&e, hdr, tr, skip); err != nil {
			return err
		}
		rd.files[name] = e.SHA1
	case tar.TypeSymlink:
		sum := sha1.Sum([]byte(hdr.Linkname))
		e.SHA1 = sum[:]
		if want, ok := hdr.PAXRecords[paxSHA1]; ok && !strings.EqualFold(want, hex.EncodeToString(e.SHA1)) {
			return rd.corrupt(name, "SHA-1 checksum mismatch (archive says %s, the link target %q hashes to %x)", want, hdr.Linkname, e.SHA1)
		}
		if rd.x != nil && !skip {
			if err := rd.x.symlink(e); err != nil {
				return rd.extractErr(name, err)
			}
		}
	case tar.TypeLink:
		target := strings.TrimPrefix(hdr.Linkname, "./")
		sum, ok := rd.files[target]
		if !ok {
			return rd.corrupt(name, "hard link to %q, which is not an earlier regular file of the package", hdr.Linkname)
		}
		e.SHA1, e.Linkname = sum, target
		if rd.x != nil && !skip && !strings.HasPrefix(target, ".") {
			if err := rd.x.link(e); err != nil {
				return rd.extractErr(name, err)
			}
		}
	case tar.TypeDir:
		if rd.x != nil && !skip {
			if err := rd.x.dir(e); err != nil {
				return rd.extractErr(name, err)
			}
		}
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		e.Size = 0
		if rd.x != nil && !skip {
			if err := rd.x.special(e); err != nil {
				return rd.extractErr(name, err)
			}
		}
	default:
		return nil // unknown types are ignored, as apk-tools does
	}
	if rd.opts.OnEntry != nil {
		if err := rd.opts.OnEntry(e); err != nil {
			return err
		}
	}
	return nil
}

// regular reads a file's content through its checksum and, when
// extracting, into a temporary file that only takes the real name once
// the checksum matches.
func (rd *reader) regular(e *Entry, hdr *tar.Header, tr io.Reader, skip bool) error {
	want, ok := hdr.PAXRecords[paxSHA1]
	var h hash.Hash
	switch {
	case ok:
		h = sha1.New()
	case hdr.PAXRecords[paxMD5] != "":
		want, h = hdr.PAXRecords[paxMD5], md5.New()
		e.checksumMD5Hex = want
	default:
		return rd.corrupt(e.Name, "no %s record: apk v3 refuses such files", paxSHA1)
	}
	var w io.Writer = h
	var tmp *tmpFile
	if rd.x != nil && !skip {
		var err error
		if tmp, err = rd.x.create(e.Name); err != nil {
			return rd.extractErr(e.Name, err)
		}
		defer tmp.abort()
		w = io.MultiWriter(h, tmp.f)
	}
	src := &readErr{r: tr}
	if _, err := io.CopyBuffer(w, src, rd.st.copyBuf(hdr.Size)); err != nil {
		if src.err == nil {
			return rd.extractErr(e.Name, err)
		}
		return rd.corrupt(e.Name, "%v", tarErr(err))
	}
	sum := h.Sum(nil)
	if !strings.EqualFold(want, hex.EncodeToString(sum)) {
		kind := "SHA-1"
		if e.checksumMD5Hex != "" {
			kind = "MD5"
		}
		return rd.corrupt(e.Name, "%s checksum mismatch (archive says %s, content is %x)", kind, want, sum)
	}
	if e.checksumMD5Hex == "" {
		e.SHA1 = sum
	}
	if tmp != nil {
		if err := rd.x.commit(tmp, *e); err != nil {
			return rd.extractErr(e.Name, err)
		}
	}
	return nil
}

func (rd *reader) extractErr(name string, err error) error {
	if isEscape(err) {
		return rd.fail(KindUnsafePath, name, errf("the path leads out of the root through a symlink (%v)", err))
	}
	var e *Error
	if errors.As(err, &e) {
		e.Package, e.File = rd.name, name
		return e
	}
	return rd.fail(KindIO, name, err)
}

// readErr remembers the error its reader returned, to tell archive errors
// from errors writing the extracted file.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}
