package source

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/klauspost/compress/zstd"
	"github.com/klauspost/pgzip"
	"github.com/ulikunitz/xz"
)

// format is an archive or compression format recognised by its magic
// bytes (never by the file name, which upstreams get wrong).
type format int

const (
	formatUnknown format = iota
	formatTar
	formatGzip
	formatXz
	formatBzip2
	formatZstd
	formatZip
)

func (f format) String() string {
	return [...]string{"unknown", "tar", "gzip", "xz", "bzip2", "zstd", "zip"}[f]
}

// sniff recognises the format from the first bytes of a file (up to 512).
func sniff(b []byte) format {
	switch {
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return formatGzip
	case bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return formatXz
	case bytes.HasPrefix(b, []byte("BZh")):
		return formatBzip2
	case bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return formatZstd
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return formatZip
	case isTarHeader(b):
		return formatTar
	}
	return formatUnknown
}

// isTarHeader reports whether b starts with a tar header: the ustar magic,
// or (old v7 archives) a header whose checksum field is right.
func isTarHeader(b []byte) bool {
	if len(b) < 512 {
		return false
	}
	if bytes.Equal(b[257:262], []byte("ustar")) {
		return true
	}
	field := bytes.TrimRight(bytes.TrimSpace(b[148:156]), "\x00")
	want, err := strconv.ParseInt(string(bytes.TrimSpace(field)), 8, 64)
	if err != nil {
		return false
	}
	var sum int64
	for i, c := range b[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int64(c)
	}
	return sum == want && b[0] != 0
}

// Extract unpacks the archive file at archive into dir (made if missing),
// dropping stripComponents leading path components from every member.
// Members go to a staging directory inside dir first and are moved into
// place only when the whole archive was read, so a refused or broken
// archive leaves dir as it was.
func Extract(ctx context.Context, archive, dir string, stripComponents int, log *slog.Logger) error {
	if log == nil {
		log = (&Options{}).logger()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return extractStaged(ctx, archive, root, ".", stripComponents, log)
}

// extractStaged extracts archive into dest (relative to root) through a
// staging directory at the top of root.
func extractStaged(ctx context.Context, archive string, root *os.Root, dest string, strip int, log *slog.Logger) error {
	stage, err := mkdirTemp(root, ".pestle-extract-")
	if err != nil {
		return err
	}
	defer root.RemoveAll(stage)
	sroot, err := root.OpenRoot(stage)
	if err != nil {
		return err
	}
	x := newExtractor(filepath.Base(archive), sroot, strip, log)
	err = extractFile(ctx, archive, x)
	sroot.Close()
	if err != nil {
		return err
	}
	if err := mergeMove(root, stage, dest); err != nil {
		return fmt.Errorf("extract %s: move into %s: %w", filepath.Base(archive), dest, err)
	}
	if err := applyDirMetas(root, dest, x.dirMetas()); err != nil {
		return fmt.Errorf("extract %s: %w", filepath.Base(archive), err)
	}
	return nil
}

// extractFile detects the format of the file and streams it into x.
func extractFile(ctx context.Context, archive string, x *extractor) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	head, _ := br.Peek(512)
	switch fm := sniff(head); fm {
	case formatZip:
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		return extractZip(ctx, f, fi.Size(), x)
	case formatTar:
		return extractTar(ctx, br, x)
	case formatUnknown:
		return &ExtractError{Archive: x.archive, Err: fmt.Errorf("%w (not tar, gzip, xz, bzip2, zstd or zip; set extract: false to keep the file as it is)", ErrUnknownFormat)}
	default:
		r, closeFn, err := decompressor(fm, br)
		if err != nil {
			return &ExtractError{Archive: x.archive, Err: fmt.Errorf("%s: %w", fm, err)}
		}
		defer closeFn()
		tbr := bufio.NewReaderSize(r, 1<<20)
		if head, _ := tbr.Peek(512); !isTarHeader(head) && !allZero(head) {
			return &ExtractError{Archive: x.archive, Err: fmt.Errorf("%w: %s data that is not a tar archive (set extract: false and decompress it in a step)", ErrUnknownFormat, fm)}
		}
		return extractTar(ctx, tbr, x)
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return len(b) > 0
}

// decompressor returns a streaming reader for the compressed format.
func decompressor(fm format, r io.Reader) (io.Reader, func(), error) {
	switch fm {
	case formatGzip:
		zr, err := pgzip.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() { zr.Close() }, nil
	case formatXz:
		zr, err := xz.NewReader(r)
		if err != nil {
			return nil, nil, err
		}
		return zr, func() {}, nil
	case formatBzip2:
		return bzip2.NewReader(r), func() {}, nil
	case formatZstd:
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(2))
		if err != nil {
			return nil, nil, err
		}
		return zr, zr.Close, nil
	}
	return nil, nil, fmt.Errorf("no decompressor for %s", fm)
}

// extractTar streams a tar archive into x.
func extractTar(ctx context.Context, r io.Reader, x *extractor) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &ExtractError{Archive: x.archive, Err: err}
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		name, err := x.clean(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		mode := fs.FileMode(h.Mode).Perm()
		switch h.Typeflag {
		case tar.TypeDir:
			err = x.dir(h.Name, name, mode, h.ModTime)
		case tar.TypeReg:
			err = x.file(h.Name, name, mode, h.ModTime, tr)
		case tar.TypeSymlink:
			err = x.symlink(h.Name, name, h.Linkname)
		case tar.TypeLink:
			err = x.hardlink(h.Name, name, h.Linkname)
		default:
			x.log.Debug("extract: skipping special file", "archive", x.archive, "member", h.Name, "type", string(h.Typeflag))
		}
		if err != nil {
			return err
		}
	}
}

// mergeMove moves everything in src into dst (both relative to root) the
// way tar extracts over an existing tree: new entries are renamed in,
// directories are merged, anything else at a target is replaced. Entries
// already at dst are never followed if they are symbolic links.
func mergeMove(root *os.Root, src, dst string) error {
	if err := root.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	d, err := root.Open(src)
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		s, t := path.Join(src, e.Name()), path.Join(dst, e.Name())
		fi, err := root.Lstat(t)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return err
		case e.IsDir() && fi.IsDir():
			if err := mergeMove(root, s, t); err != nil {
				return err
			}
			continue
		default:
			if err := root.RemoveAll(t); err != nil {
				return err
			}
		}
		if err := root.Rename(s, t); err != nil {
			return err
		}
	}
	return nil
}

// mkdirTemp makes a fresh directory with a random name at the top of root.
func mkdirTemp(root *os.Root, prefix string) (string, error) {
	for range 10 {
		name := prefix + randomHex()
		err := root.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("cannot make a temporary directory in %s", root.Name())
}

func randomHex() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
