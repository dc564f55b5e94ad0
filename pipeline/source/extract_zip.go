package source

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// zipUnix is the "version made by" host of archives written on Unix
// (3) and macOS (19), whose external attributes carry Unix modes.
func zipUnix(h *zip.FileHeader) bool {
	host := h.CreatorVersion >> 8
	return host == 3 || host == 19
}

// extractZip extracts a zip archive (random access on the file) into x.
func extractZip(ctx context.Context, r io.ReaderAt, size int64, x *extractor) error {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return &ExtractError{Archive: x.archive, Err: err}
	}
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Archives made on Windows may use backslashes; read them as
		// separators so that "..\\" is caught like "../".
		raw := strings.ReplaceAll(zf.Name, `\`, "/")
		name, err := x.clean(raw)
		if err != nil {
			return err
		}
		if name == "" {
			continue
		}
		mode := zf.Mode()
		perm := mode.Perm()
		isDir := mode.IsDir() || strings.HasSuffix(raw, "/")
		if !zipUnix(&zf.FileHeader) || perm == 0 {
			perm = 0o644
			if isDir {
				perm = 0o755
			}
		}
		switch {
		case isDir:
			err = x.dir(zf.Name, name, perm, zf.Modified)
		case mode&fs.ModeSymlink != 0:
			err = zipSymlink(zf, x, name)
		case mode.IsRegular():
			err = zipFile(zf, x, name, perm)
		default:
			x.log.Debug("extract: skipping special file", "archive", x.archive, "member", zf.Name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func zipFile(zf *zip.File, x *extractor, name string, perm fs.FileMode) error {
	rc, err := zf.Open()
	if err != nil {
		return x.fail(zf.Name, err)
	}
	defer rc.Close()
	return x.file(zf.Name, name, perm, zf.Modified, rc)
}

func zipSymlink(zf *zip.File, x *extractor, name string) error {
	rc, err := zf.Open()
	if err != nil {
		return x.fail(zf.Name, err)
	}
	defer rc.Close()
	target, err := io.ReadAll(io.LimitReader(rc, 4097))
	if err != nil {
		return x.fail(zf.Name, err)
	}
	if len(target) > 4096 {
		return x.fail(zf.Name, fmt.Errorf("symbolic link target longer than 4096 bytes"))
	}
	return x.symlink(zf.Name, name, string(target))
}
