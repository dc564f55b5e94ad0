package apk

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// WriteOptions configures Write.
type WriteOptions struct {
	Signer          *keys.Signer                                               // nil: unsigned (control + data members only)
	SourceDateEpoch int64                                                      // every mtime (data, control, signature) and builddate
	Owner           func(uid, gid int, path string) (int, int, string, string) // ownership mapping; nil: everything 0/0 root/root
	Scripts         map[string][]byte                                          // ".pre-install", ".post-install", ... ".trigger" (mode 0755)
	ExtraControl    map[string][]byte                                          // other control files, e.g. ".melange.yaml" (mode 0644)
	TempDir         string                                                     // where the data member is spooled (default os.TempDir())
	// Xattrs are extended attributes to give files and directories of the
	// tree, by path (relative, no leading slash), over those the files
	// carry: e.g. security.capability from a recipe's setcap. A path that
	// is not a file or directory of the tree is an error.
	Xattrs map[string]map[string]string

	dirSize func(entries int) uint64 // test seam: a directory's share of the installed size
}

// Scripts apk-tools runs, the only script names Write accepts.
var scriptNames = [...]string{
	".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade",
	".pre-deinstall", ".post-deinstall", ".trigger",
}

// maxTarTime is the largest mtime an octal ustar field holds.
const maxTarTime = 0o77777777777

// Write packs the tree srcDir into a v2 .apk on w, streaming: the data
// tarball goes through parallel gzip into a spooled temporary file while
// SHA-256 (datahash) is computed, then the control member (.PKGINFO first,
// then the scripts, then the extra control files, each group sorted) is
// built and signed, and signature, control and data are written out. Memory
// does not grow with the size of the tree.
//
// Write fills info.Size (installed size), info.DataHash, info.Checksum and
// info.FileSize, and info.BuildDate from SourceDateEpoch when it is unset.
// The same tree, info and options give byte-identical output.
func Write(w io.Writer, srcDir string, info *PackageInfo, opts WriteOptions) error {
	if err := checkWrite(info, &opts); err != nil {
		return err
	}
	if st, err := os.Stat(srcDir); err != nil {
		return &Error{Package: info.Name + "-" + info.Version, Kind: KindInvalid, Err: fmt.Errorf("the tree to pack: %w", err)}
	} else if !st.IsDir() {
		return &Error{Package: info.Name + "-" + info.Version, Kind: KindInvalid,
			Err: fmt.Errorf("the tree to pack, %s, is not a directory", srcDir)}
	}
	fail := func(kind ErrorKind, err error) error {
		var e *Error
		if errors.As(err, &e) {
			e.Package = info.Name + "-" + info.Version
			return e
		}
		return &Error{Package: info.Name + "-" + info.Version, Kind: kind, Err: err}
	}
	spool, err := os.CreateTemp(opts.TempDir, "pestle-data-*.tar.gz")
	if err != nil {
		return fail(KindIO, fmt.Errorf("spool file for the data member: %w", err))
	}
	// Unlinked at once: nothing is left behind, whatever happens next.
	os.Remove(spool.Name())
	defer spool.Close()

	dataLen, sum, size, err := writeData(spool, srcDir, opts)
	if err != nil {
		return fail(KindIO, err)
	}
	info.Size = size
	info.DataHash = hex.EncodeToString(sum)
	if info.BuildDate == 0 && opts.SourceDateEpoch > 0 {
		info.BuildDate = opts.SourceDateEpoch
	}
	mtime := time.Unix(opts.SourceDateEpoch, 0)
	control, err := controlMember(info, opts.Scripts, opts.ExtraControl, mtime)
	if err != nil {
		return fail(KindInvalid, err)
	}
	id := sha1.Sum(control)
	info.Checksum = id[:]
	var sig []byte
	if opts.Signer != nil {
		if sig, err = signatureMember(control, opts.Signer, mtime); err != nil {
			return fail(KindInvalid, err)
		}
	}
	info.FileSize = int64(len(sig)+len(control)) + dataLen

	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fail(KindIO, err)
	}
	for _, b := range [][]byte{sig, control} {
		if _, err := w.Write(b); err != nil {
			return fail(KindIO, err)
		}
	}
	if n, err := io.Copy(w, spool); err != nil || n != dataLen {
		if err == nil {
			err = fmt.Errorf("data member: copied %d of %d bytes", n, dataLen)
		}
		return fail(KindIO, err)
	}
	return nil
}

func checkWrite(info *PackageInfo, opts *WriteOptions) error {
	bad := func(format string, args ...any) error {
		return &Error{Package: info.Name + "-" + info.Version, Kind: KindInvalid, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case info.Name == "":
		return &Error{Kind: KindInvalid, Err: fmt.Errorf("PackageInfo.Name is empty")}
	case info.Version == "":
		return bad("PackageInfo.Version is empty (want e.g. 1.2.3-r0)")
	case !validName(info.Name):
		return bad("invalid package name %q: use letters, digits and ._+- and start with a letter or digit", info.Name)
	case strings.ContainsAny(info.Version, " \t\n"):
		return bad("invalid version %q: no spaces", info.Version)
	case opts.SourceDateEpoch < 0 || opts.SourceDateEpoch > maxTarTime:
		return bad("SOURCE_DATE_EPOCH %d is out of range (0 to %d)", opts.SourceDateEpoch, int64(maxTarTime))
	}
	if opts.Signer != nil {
		if err := opts.Signer.Check(); err != nil {
			return bad("%v", err)
		}
	}
	for name := range opts.Scripts {
		if !slices.Contains(scriptNames[:], name) {
			return bad("unknown script %q: use .pre-install, .post-install, .pre-upgrade, .post-upgrade, .pre-deinstall, .post-deinstall or .trigger", name)
		}
	}
	for name := range opts.ExtraControl {
		if !strings.HasPrefix(name, ".") || strings.Contains(name, "/") || name == ".PKGINFO" ||
			slices.Contains(scriptNames[:], name) || strings.HasPrefix(name, signPrefix) {
			return bad("invalid extra control file %q: a name starting with \".\", without \"/\", other than .PKGINFO, the scripts and .SIGN.*", name)
		}
	}
	if len(info.Triggers) > 0 && opts.Scripts[".trigger"] == nil {
		return bad("triggers %v are set but there is no .trigger script", info.Triggers)
	}
	if opts.Owner == nil {
		opts.Owner = func(int, int, string) (int, int, string, string) { return 0, 0, "root", "root" }
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	return nil
}

// validName is apk's package name syntax.
func validName(s string) bool {
	for i, c := range s {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._+-", c)) {
			return false
		}
	}
	return s != ""
}

// writeData writes the data member to f and returns its length, SHA-256
// and the installed size of the tree.
func writeData(f *os.File, srcDir string, opts WriteOptions) (int64, []byte, uint64, error) {
	h := sha256.New()
	bw := bufio.NewWriterSize(f, 256<<10)
	cw := &countWriter{w: io.MultiWriter(h, bw)}
	zw := newDataGzip(cw)
	tw := newTreeWriter(zw, opts)
	if err := tw.writeTree(srcDir); err != nil {
		zw.Close()
		return 0, nil, 0, err
	}
	if err := tw.tw.Close(); err != nil { // the data member keeps its trailer
		zw.Close()
		return 0, nil, 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, nil, 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, nil, 0, err
	}
	return cw.n, h.Sum(nil), tw.size, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteFile writes the package to path atomically: into a temporary file
// in the same directory, synced, then renamed over path. Parent
// directories are created. On error nothing is left at path or beside it.
func WriteFile(path string, srcDir string, info *PackageInfo, opts WriteOptions) error {
	return writeAtomic(path, func(w io.Writer) error { return Write(w, srcDir, info, opts) })
}

// writeAtomic publishes what write writes at path (see fsutil.Write),
// creating path's directory. Errors other than write's own are KindIO.
func writeAtomic(path string, write func(io.Writer) error) error {
	ioErr := func(err error) error { return &Error{Package: filepath.Base(path), Kind: KindIO, Err: err} }
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return ioErr(err)
	}
	failed := false
	err := fsutil.Write(path, 0o644, func(w io.Writer) error {
		err := write(w)
		failed = err != nil
		return err
	})
	if err != nil && !failed {
		return ioErr(err)
	}
	return err
}
