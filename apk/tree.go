package apk

import (
	"archive/tar"
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Limits of octal ustar fields, which are all apk-tools reads (it ignores
// PAX size/uid/gid and rejects base-256 numbers).
const (
	maxTarSize = 0o77777777777 // 8 GiB - 1
	maxTarID   = 0o7777777     // 2097151
)

// DirSize is what each directory, the root included, adds to the
// installed size. melange adds the st_size of every path of the tree,
// which for a directory depends on the filesystem (4096 on ext4, 40+20n on
// tmpfs, 64+32n on APFS, where the melange fixtures were built); pestle
// counts every directory as ext4 shows a small one, so that the size, and
// the package bytes, do not depend on where the tree sits.
const DirSize = 4096

// treeWriter writes the data tarball of a tree: depth-first, names sorted
// bytewise within each directory (so every directory comes before its
// contents), normalised ownership, one mtime.
type treeWriter struct {
	tw     *tar.Writer
	opts   WriteOptions
	mtime  time.Time
	inodes map[[2]uint64]string // (dev, ino) of multiply-linked files -> first path
	size   uint64
	buf    []byte
	// xattrsUsed counts the paths of opts.Xattrs met in the tree.
	xattrsUsed int
}

func newTreeWriter(w io.Writer, opts WriteOptions) *treeWriter {
	return &treeWriter{
		tw:     tar.NewWriter(w),
		opts:   opts,
		mtime:  time.Unix(opts.SourceDateEpoch, 0),
		inodes: map[[2]uint64]string{},
		buf:    make([]byte, 1<<20),
	}
}

func invalid(name, format string, args ...any) error {
	return &Error{File: name, Kind: KindInvalid, Err: fmt.Errorf(format, args...)}
}

func ioErr(name string, err error) error { return &Error{File: name, Kind: KindIO, Err: err} }

func (t *treeWriter) writeTree(root string) error {
	st, err := os.Stat(root)
	if err != nil {
		return ioErr("", err)
	}
	if !st.IsDir() {
		return invalid("", "%s is not a directory", root)
	}
	if err := t.walk(root, ""); err != nil {
		return err
	}
	if t.xattrsUsed < len(t.opts.Xattrs) {
		return t.missingXattrPaths(root)
	}
	return nil
}

// missingXattrPaths names the first path given extended attributes that
// is not a file or directory of the tree.
func (t *treeWriter) missingXattrPaths(root string) error {
	paths := make([]string, 0, len(t.opts.Xattrs))
	for p := range t.opts.Xattrs {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil || !(fi.Mode().IsRegular() || fi.IsDir()) {
			return invalid(p, "extended attributes (e.g. setcap) are given for /%s, which is not a file or directory of the package; fix the path or install the file there", p)
		}
	}
	return nil
}

func (t *treeWriter) walk(root, rel string) error {
	ents, err := os.ReadDir(filepath.Join(root, rel))
	if err != nil {
		return ioErr(rel, err)
	}
	if t.opts.dirSize != nil {
		t.size += t.opts.dirSize(len(ents))
	} else {
		t.size += DirSize
	}
	for _, de := range ents {
		name := path.Join(rel, de.Name())
		if rel == "" && strings.HasPrefix(name, ".") {
			return invalid(name, "a top-level name starting with \".\": apk-tools would not install it; move it into a directory or remove it")
		}
		full := filepath.Join(root, name)
		fi, err := os.Lstat(full)
		if err != nil {
			return ioErr(name, err)
		}
		if err := t.entry(name, full, fi); err != nil {
			return err
		}
		if fi.IsDir() {
			if err := t.walk(root, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// tarMode keeps permission, setuid, setgid and sticky bits.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}

func (t *treeWriter) entry(name, full string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return invalid(name, "no stat information")
	}
	uid, gid, uname, gname := t.opts.Owner(int(st.Uid), int(st.Gid), name)
	if uid < 0 || gid < 0 || uid > maxTarID || gid > maxTarID {
		return invalid(name, "owner %d:%d does not fit a tar header (apk-tools reads ids up to %d only): map it with the ownership option", uid, gid, maxTarID)
	}
	hdr := &tar.Header{
		Name: name, Mode: tarMode(fi.Mode()), Uid: uid, Gid: gid, Uname: uname, Gname: gname,
		ModTime: t.mtime, PAXRecords: map[string]string{},
	}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		hdr.Typeflag = tar.TypeDir
		if err := t.xattrs(hdr, full); err != nil {
			return err
		}
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(full)
		if err != nil {
			return ioErr(name, err)
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
		sum := sha1.Sum([]byte(target))
		hdr.PAXRecords[paxSHA1] = hex.EncodeToString(sum[:])
		t.size += uint64(len(target))
	case mode.IsRegular():
		if fi.Size() > maxTarSize {
			return invalid(name, "%d bytes: apk-tools cannot hold files of 8 GiB or more", fi.Size())
		}
		t.size += uint64(fi.Size())
		if st.Nlink > 1 {
			key := [2]uint64{uint64(st.Dev), st.Ino}
			// apk wants a hard link's target to contain a "/": a second
			// name of a top-level file is stored as a copy instead.
			if first, ok := t.inodes[key]; ok && strings.Contains(first, "/") {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				return t.header(hdr)
			} else if !ok {
				t.inodes[key] = name
			}
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		if err := t.xattrs(hdr, full); err != nil {
			return err
		}
		return t.file(hdr, full)
	case mode&fs.ModeDevice != 0:
		hdr.Typeflag = tar.TypeBlock
		if mode&fs.ModeCharDevice != 0 {
			hdr.Typeflag = tar.TypeChar
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	case mode&fs.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
	default:
		return invalid(name, "cannot pack a %v", mode.Type())
	}
	return t.header(hdr)
}

func (t *treeWriter) xattrs(hdr *tar.Header, full string) error {
	x, err := readXattrs(full)
	if err != nil {
		return ioErr(hdr.Name, fmt.Errorf("extended attributes: %w", err))
	}
	for k, v := range x {
		hdr.PAXRecords[paxXattrPref+k] = v
	}
	if extra, ok := t.opts.Xattrs[hdr.Name]; ok {
		for k, v := range extra {
			hdr.PAXRecords[paxXattrPref+k] = v
		}
		t.xattrsUsed++
	}
	return nil
}

func (t *treeWriter) header(hdr *tar.Header) error {
	if len(hdr.PAXRecords) == 0 {
		hdr.PAXRecords = nil
	}
	if err := t.tw.WriteHeader(hdr); err != nil {
		return ioErr(hdr.Name, err)
	}
	return nil
}

// file writes a regular file. Its SHA-1 goes in a PAX record before the
// content, so the content is read twice unless it fits the buffer; the
// second read is hashed again to catch a file that changed meanwhile.
func (t *treeWriter) file(hdr *tar.Header, full string) error {
	f, err := os.Open(full)
	if err != nil {
		return ioErr(hdr.Name, err)
	}
	defer f.Close()
	changed := invalid(hdr.Name, "the file changed while it was being packed")
	if hdr.Size <= int64(len(t.buf)) {
		b := t.buf[:hdr.Size]
		if _, err := io.ReadFull(f, b); err != nil {
			return changed
		}
		sum := sha1.Sum(b)
		hdr.PAXRecords[paxSHA1] = hex.EncodeToString(sum[:])
		if err := t.header(hdr); err != nil {
			return err
		}
		if _, err := t.tw.Write(b); err != nil {
			return ioErr(hdr.Name, err)
		}
		return nil
	}
	h := sha1.New()
	if n, err := io.CopyBuffer(h, f, t.buf); err != nil || n != hdr.Size {
		if err != nil {
			return ioErr(hdr.Name, err)
		}
		return changed
	}
	sum := h.Sum(nil)
	hdr.PAXRecords[paxSHA1] = hex.EncodeToString(sum)
	if err := t.header(hdr); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ioErr(hdr.Name, err)
	}
	h.Reset()
	if _, err := io.CopyBuffer(io.MultiWriter(t.tw, h), io.LimitReader(f, hdr.Size), t.buf); err != nil {
		return changed
	}
	if !bytes.Equal(h.Sum(nil), sum) {
		return changed
	}
	return nil
}
