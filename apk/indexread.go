package apk

import (
	"archive/tar"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"path/filepath"
	"strings"
)

// indexReadSize is what IndexReader reads of a file in one go: a package
// that fits (signature, control and data of a small package) is parsed
// from memory; a longer one is streamed by ReadFile.
const indexReadSize = 64 << 10

// indexMaxMember bounds one inflated signature or control member on the
// fast path; a larger one is left to Read, which streams it.
const indexMaxMember = 1 << 20

// IndexReader reads the index records of package files, as
// ReadFile(path, ReadOptions{HashDataOnly: true}) does, keeping its
// buffers, decompressor and digests from one file to the next. A file
// that fits in its read buffer and has the layout every packager writes
// (plain tar headers, no end-of-archive blocks in the signature and
// control segments, plain gzip headers) is read with one open, one read
// and one close and parsed in memory; anything else, including every
// file that fails, is read again by Read, so the result and the error
// are the same either way. Files are opened through a descriptor of their
// directory kept from one file to the next, so a directory replaced while
// its files are read is read as it was when the first was opened. An
// IndexReader is not safe for concurrent use: give each goroutine its own.
type IndexReader struct {
	buf   []byte
	out   []byte // the inflated member
	sha1  hash.Hash
	sha2  hash.Hash
	sum   [sha256.Size]byte
	dec   smallInflater
	info  infoParser
	dir   dirOpener
	stats IndexReaderStats
}

// IndexReaderStats counts how the files an IndexReader read were read.
type IndexReaderStats struct {
	Fast     int // parsed from one read
	Fallback int // read again by Read or ReadFile
}

// NewIndexReader returns an IndexReader with its buffers allocated.
func NewIndexReader() *IndexReader {
	return &IndexReader{
		buf:  make([]byte, indexReadSize),
		out:  make([]byte, 0, 8<<10),
		sha1: sha1.New(),
		sha2: sha256.New(),
	}
}

// Close releases what the IndexReader keeps open between files (a
// descriptor of the last file's directory).
func (ir *IndexReader) Close() { ir.dir.close() }

// Stats says how many files took the fast path and how many fell back.
func (ir *IndexReader) Stats() IndexReaderStats { return ir.stats }

// ReadFile returns the index record (with Checksum and FileSize) of the
// package file at path.
func (ir *IndexReader) ReadFile(path string) (*PackageInfo, error) {
	f, err := ir.dir.openRaw(path)
	if err != nil {
		return nil, &Error{Package: filepath.Base(path), Kind: KindIO, Err: err}
	}
	defer f.Close()
	n, err := f.Read(ir.buf)
	if err != nil && err != io.EOF {
		return ir.fallback(path, nil) // let Read meet the error and report it its way
	}
	var more io.Reader // the rest of a file longer than the buffer
	if n == len(ir.buf) {
		more = f
	}
	if info, ok := ir.parse(ir.buf[:n], more); ok {
		ir.stats.Fast++
		return info, nil
	}
	if more != nil {
		return ir.fallback(path, nil)
	}
	return ir.fallback(path, ir.buf[:n])
}

// fallback reads the package with Read: from data if the whole file is
// there, else from the file again.
func (ir *IndexReader) fallback(path string, data []byte) (*PackageInfo, error) {
	ir.stats.Fallback++
	var pkg *Package
	var err error
	if data != nil {
		pkg, err = Read(bytes.NewReader(data), ReadOptions{HashDataOnly: true, Source: filepath.Base(path)})
	} else {
		pkg, err = ReadFile(path, ReadOptions{HashDataOnly: true})
	}
	if err != nil {
		return nil, err
	}
	return pkg.Info, nil
}

// parse reads the record from data, the start of the file; more is the
// rest of a file longer than data, nil if data is all of it. ok is false
// if the signature and control segments are not in data or do not have
// the plain layout, or anything is wrong.
func (ir *IndexReader) parse(data []byte, more io.Reader) (info *PackageInfo, ok bool) {
	m, next, ok := ir.inflate(data, 0)
	if !ok {
		return nil, false
	}
	control := data[:next]
	if first, _, ok := parseTarHeader(m[:min(len(m), tarBlockSize)]); ok && bytes.HasPrefix(first, []byte(signPrefix)) {
		if !plainSignatureMember(m) {
			return nil, false
		}
		start := next
		if m, next, ok = ir.inflate(data, start); !ok {
			return nil, false
		}
		control = data[start:next]
	}
	pkginfo, ok := plainControlMember(m)
	if !ok {
		return nil, false
	}
	info, ok = ir.info.parse(pkginfo)
	if !ok || len(info.DataHash) != 64 || !isHex(info.DataHash) {
		return nil, false
	}
	ir.sha1.Reset()
	ir.sha1.Write(control)
	var sum [sha1.Size]byte
	info.Checksum = ir.info.checksum(ir.sha1.Sum(sum[:0]))
	if info.FileSize, ok = ir.hashData(data, next, more); !ok {
		return nil, false
	}
	var got [2 * sha256.Size]byte
	hex.Encode(got[:], ir.sha2.Sum(ir.sum[:0]))
	if !bytes.EqualFold(got[:], []byte(info.DataHash)) {
		return nil, false
	}
	return info, true
}

// hashData hashes the data segment, data[start:] and then the rest of
// more, with ir.sha2, and returns the file size. The data segment must
// start with a gzip header; data is overwritten.
func (ir *IndexReader) hashData(data []byte, start int, more io.Reader) (int64, bool) {
	rest := data[start:]
	if len(rest) < len(gzipMagic) && more != nil {
		return 0, false // the header straddles the buffer: rare, left to Read
	}
	if !bytes.HasPrefix(rest, gzipMagic) {
		return 0, false
	}
	ir.sha2.Reset()
	ir.sha2.Write(rest)
	size := int64(len(data))
	for more != nil {
		n, err := more.Read(ir.buf)
		ir.sha2.Write(ir.buf[:n])
		size += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, false
		}
	}
	return size, true
}

// inflate inflates the gzip member at data[off:] into ir.out and returns
// it with the offset just after the member. Only a plain header (no
// optional fields) is taken; the CRC and length are checked.
func (ir *IndexReader) inflate(data []byte, off int) (out []byte, next int, ok bool) {
	h := data[off:]
	if len(h) < 10 || !bytes.HasPrefix(h, gzipMagic) || h[3] != 0 {
		return nil, 0, false
	}
	out, used, ok := ir.dec.inflate(h[10:], ir.out[:0], indexMaxMember)
	if !ok {
		return nil, 0, false
	}
	ir.out = out
	end := 10 + used
	if end+8 > len(h) ||
		binary.LittleEndian.Uint32(h[end:]) != crc32.ChecksumIEEE(out) ||
		binary.LittleEndian.Uint32(h[end+4:]) != uint32(len(out)) {
		return nil, 0, false
	}
	return out, off + end + 8, true
}

// tarEntries calls f with the name and content of each entry of the
// inflated member m, which must be whole plain entries (with a PAX header
// or not) and nothing else.
func tarEntries(m []byte, f func(name, content []byte) bool) bool {
	if len(m) == 0 {
		return false
	}
	for len(m) > 0 {
		if len(m) < tarBlockSize {
			return false
		}
		name, size, ok := parseTarHeader(m[:tarBlockSize])
		hdrLen := tarBlockSize
		if !ok {
			if name, size, hdrLen, ok = paxEntry(m); !ok {
				return false
			}
		}
		m = m[hdrLen:]
		if size > int64(len(m)) {
			return false
		}
		padded := (size + tarBlockSize - 1) &^ (tarBlockSize - 1)
		if padded > int64(len(m)) || !f(name, m[:size]) {
			return false
		}
		m = m[padded:]
	}
	return true
}

// plainSignatureMember checks the signature member's entries: all well-formed
// .SIGN names. Their values are not needed for an index.
func plainSignatureMember(m []byte) bool {
	return tarEntries(m, func(name, _ []byte) bool {
		// As parseSignatureName: .SIGN.<TYPE>.<keyname>, both non-empty.
		rest, ok := bytes.CutPrefix(name, []byte(signPrefix))
		typ, key, ok2 := bytes.Cut(rest, []byte("."))
		return ok && ok2 && len(typ) > 0 && len(key) > 0
	})
}

// plainControlMember checks the control member's entries (dot-names, one
// .PKGINFO) and returns .PKGINFO.
func plainControlMember(m []byte) (pkginfo []byte, ok bool) {
	ok = tarEntries(m, func(name, content []byte) bool {
		switch {
		case bytes.HasPrefix(name, []byte(signPrefix)) || name[0] != '.':
			return false
		case string(name) == ".PKGINFO":
			if pkginfo != nil {
				return false
			}
			pkginfo = content
		}
		return true
	})
	return pkginfo, ok && pkginfo != nil
}

// paxEntry reads a PAX extended header at the start of m and the header
// it applies to (as abuild writes the control segment: an mtime record
// before each entry). archive/tar reads them, so the records mean what
// they mean to Read (a path or size record changes the entry); the entry
// must be a plain regular file. It returns the entry's name and size and
// the length of both headers with the records.
func paxEntry(m []byte) (name []byte, size int64, hdrLen int, ok bool) {
	if m[thTypeflag] != tar.TypeXHeader {
		return nil, 0, 0, false
	}
	recs, ok := tarOctal(m[thSize : thSize+12])
	if !ok || recs > indexMaxMember {
		return nil, 0, 0, false
	}
	hdrLen = tarBlockSize + int(recs+tarBlockSize-1)&^(tarBlockSize-1) + tarBlockSize
	if hdrLen > len(m) {
		return nil, 0, 0, false
	}
	hdr, err := tar.NewReader(bytes.NewReader(m[:hdrLen])).Next()
	if err != nil || hdr.Typeflag != tar.TypeReg || hdr.Name == "" || strings.Contains(hdr.Name, "/") || hdr.Size < 0 {
		return nil, 0, 0, false
	}
	return []byte(hdr.Name), hdr.Size, hdrLen, true
}
