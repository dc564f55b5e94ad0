package index

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// FileName is the index file name inside a repository arch directory.
const FileName = "APKINDEX.tar.gz"

// UpdateOptions tune Update.
type UpdateOptions struct {
	// Keyring verifies the existing index. Without one the existing file is
	// trusted as the repository's own (its structure is still checked).
	Keyring *keys.Keyring
	// Signer signs the new index; nil writes it unsigned.
	Signer *keys.Signer
	// SourceDateEpoch is the mtime of the tar entries.
	SourceDateEpoch int64
	// Description replaces the DESCRIPTION when not empty; otherwise the
	// existing one is kept.
	Description string
	// Logger receives debug lines; nil discards them.
	Logger *slog.Logger
}

// Update merges pkgs into <dir>/APKINDEX.tar.gz (creating it if missing)
// while holding the directory's lock (see Lock), and replaces the file
// atomically: temporary file, fsync, rename, fsync of dir. Concurrent
// Update calls on one directory, from goroutines or processes, serialise,
// so every package of every call ends up in the index. An existing index
// that does not verify with opts.Keyring, or does not parse, is left
// untouched and reported.
func Update(dir string, pkgs []*apk.PackageInfo, opts UpdateOptions) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lock, err := Lock(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()

	path := filepath.Join(dir, FileName)
	_, err = mergeFile(path, path, pkgs, opts, log)
	return err
}

// mergeFile merges pkgs into the index at src and writes the result to
// dst (which may be src) atomically; a missing src is an empty index. The
// caller holds the lock of dst's directory. It returns the number of
// records written.
func mergeFile(src, dst string, pkgs []*apk.PackageInfo, opts UpdateOptions, log *slog.Logger) (int, error) {
	return mergeFileTo(src, dst, pkgs, opts, log, writeAtomic)
}

// mergeFileTo is mergeFile with the signed index bytes handed to put.
func mergeFileTo(src, dst string, pkgs []*apk.PackageInfo, opts UpdateOptions, log *slog.Logger, put func(string, ...[]byte) error) (int, error) {
	data, err := readFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		ix := &Index{Description: opts.Description}
		ix.Merge(pkgs...)
		log.Debug("creating index", "path", dst, "adding", len(pkgs))
		unsigned, err := Marshal(ix, opts.SourceDateEpoch)
		if err != nil {
			return 0, err
		}
		return len(ix.Packages), putSigned(put, dst, unsigned, opts.Signer, opts.SourceDateEpoch)
	}
	bad := func(err error) error {
		return fmt.Errorf("existing index %s: %w (move it away to start a new index)", src, err)
	}
	if err != nil {
		return 0, bad(err)
	}
	sigs, unsigned, err := Split(data)
	if err != nil {
		return 0, bad(err)
	}
	if _, err := verify(sigs, unsigned, opts.Keyring, opts.Keyring == nil); err != nil {
		return 0, bad(err)
	}
	var text strings.Builder
	desc, err := walkContent(unsigned, func(r io.Reader, size int64) error {
		text.Grow(int(min(max(size, 0), 64<<20))) // the header's claim, within reason
		_, err := io.Copy(&lineBounded{w: &text, max: maxText}, r)
		return err
	})
	if err != nil {
		return 0, bad(err)
	}
	if opts.Description != "" {
		desc = opts.Description
	}

	merged, err := mergeText(text.String(), pkgs, log)
	if errors.Is(err, ErrFormat) {
		return 0, bad(err)
	}
	if err != nil {
		return 0, err
	}
	unsignedNew, err := marshalMerged(merged, desc, opts.SourceDateEpoch)
	if err != nil {
		return 0, err
	}
	return merged.records(), putSigned(put, dst, unsignedNew, opts.Signer, opts.SourceDateEpoch)
}

// mergeText merges pkgs into APKINDEX text and returns the new text. Text
// that pestle wrote is merged record by record without re-rendering;
// anything else is parsed and written in full. Both give the same bytes.
func mergeText(text string, pkgs []*apk.PackageInfo, log *slog.Logger) (*mergedText, error) {
	if recs, ok := scanCanonical(text); ok {
		log.Debug("merging into the index", "existing", len(recs), "adding", len(pkgs))
		recs, err := mergeRaw(recs, pkgs)
		if err != nil {
			return nil, err
		}
		return &mergedText{recs: recs}, nil
	}
	ix, err := ParseTextIndex(strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	log.Debug("merging into the index (full rewrite)", "existing", len(ix.Packages), "adding", len(pkgs))
	ix.Merge(pkgs...)
	var b bytes.Buffer
	b.Grow(len(text) + 4096)
	if err := ix.WriteText(&b); err != nil {
		return nil, err
	}
	return &mergedText{whole: b.Bytes()}, nil
}

// WriteFile writes ix to path atomically (see Write): the bytes go to a
// temporary file in the same directory, which is synced and renamed over
// path, and the directory is synced. A failure leaves path as it was.
func WriteFile(path string, ix *Index, s *keys.Signer, sourceDateEpoch int64) error {
	unsigned, err := Marshal(ix, sourceDateEpoch)
	if err != nil {
		return err
	}
	return writeSigned(path, unsigned, s, sourceDateEpoch)
}

// writeSigned signs unsigned (when key is set) and writes the result to
// path atomically.
func writeSigned(path string, unsigned []byte, s *keys.Signer, sourceDateEpoch int64) error {
	return putSigned(writeAtomic, path, unsigned, s, sourceDateEpoch)
}

// putSigned signs unsigned (when s is set) and hands the signature and
// unsigned bytes to put.
func putSigned(put func(string, ...[]byte) error, path string, unsigned []byte, s *keys.Signer, sourceDateEpoch int64) error {
	var sig []byte
	var err error
	if s != nil {
		if sig, err = Sign(unsigned, s, sourceDateEpoch); err != nil {
			return err
		}
	}
	return put(path, sig, unsigned)
}

// writeAtomic replaces path with the concatenation of parts.
func writeAtomic(path string, parts ...[]byte) error {
	err := fsutil.Write(path, 0o644, func(w io.Writer) error {
		for _, p := range parts {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
