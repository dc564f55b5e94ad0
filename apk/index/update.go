package index

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

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
// dst (which may be src) atomically, with its sidecar; a missing src is an
// empty index. The caller holds the lock of dst's directory. It returns
// the number of records written.
func mergeFile(src, dst string, pkgs []*apk.PackageInfo, opts UpdateOptions, log *slog.Logger) (int, error) {
	n, lay, err := mergeFileTo(src, dst, pkgs, opts, log, writeAtomic)
	if err != nil {
		return 0, err
	}
	putSidecar(dst, lay, opts.Signer, log)
	return n, nil
}

// putSidecar writes the sidecar of the index at path; failing to is only
// logged, as the next merge then takes the full path.
func putSidecar(path string, lay *layout, s *keys.Signer, log *slog.Logger) {
	if err := storeSidecar(path, lay, sidecarKey(s)); err != nil {
		log.Warn("cannot write the index sidecar; the next merge rewrites the whole index", "path", path, "err", err)
	}
}

// mergeFileTo is mergeFile with the signed index bytes handed to put; it
// returns the layout of the member written, for the sidecar.
func mergeFileTo(src, dst string, pkgs []*apk.PackageInfo, opts UpdateOptions, log *slog.Logger, put func(string, ...[]byte) error) (_ int, _ *layout, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer guardFault(src, &err)
	data, release, err := mapFile(src)
	if err == nil {
		defer release()
	}
	if errors.Is(err, fs.ErrNotExist) {
		ix := &Index{Description: opts.Description}
		ix.Merge(pkgs...)
		log.Debug("creating index", "path", dst, "adding", len(pkgs))
		parts, lay, err := marshalIndexParts(ix, opts.SourceDateEpoch)
		if err != nil {
			return 0, nil, err
		}
		return len(ix.Packages), lay, putParts(put, dst, parts, &lay.sum, opts)
	}
	bad := func(err error) error {
		return fmt.Errorf("existing index %s: %w (move it away to start a new index)", src, err)
	}
	if err != nil {
		return 0, nil, bad(err)
	}
	sigs, unsigned, err := Split(data)
	if err != nil {
		return 0, nil, bad(err)
	}
	lay, sum := matchSidecar(src, unsigned, sidecarKey(opts.Signer), log)
	if _, err := verifyDigest(sigs, memberDigest(unsigned, sum), opts.Keyring, opts.Keyring == nil); err != nil {
		return 0, nil, bad(err)
	}
	if lay != nil {
		res, err := fastMerge(unsigned, lay, pkgs, opts.Description, time.Unix(opts.SourceDateEpoch, 0))
		if err == nil {
			log.Debug("merged into the index segment by segment", "records", res.records, "adding", len(pkgs))
			return res.records, res.lay, putParts(put, dst, res.parts, &res.lay.sum, opts)
		}
		if !errors.Is(err, errNotFast) {
			return 0, nil, err
		}
		log.Debug("merging into the whole index", "reason", err)
	}
	var text strings.Builder
	desc, err := walkContent(unsigned, func(r io.Reader, size int64) error {
		text.Grow(int(min(max(size, 0), 64<<20))) // the header's claim, within reason
		_, err := io.Copy(&lineBounded{w: &text, max: maxText}, r)
		return err
	})
	if err != nil {
		return 0, nil, bad(err)
	}
	if opts.Description != "" {
		desc = opts.Description
	}

	merged, err := mergeText(text.String(), pkgs, log)
	if errors.Is(err, ErrFormat) {
		return 0, nil, bad(err)
	}
	if err != nil {
		return 0, nil, err
	}
	unsignedNew, lay, err := marshalMerged(merged, desc, opts.SourceDateEpoch)
	if err != nil {
		return 0, nil, err
	}
	return merged.records(), lay, putParts(put, dst, [][]byte{unsignedNew}, &lay.sum, opts)
}

// guardFault, deferred under debug.SetPanicOnFault, turns a fault on the
// mapped bytes of the index at path (the file shrank under us) into an
// error in *err; other panics go on.
func guardFault(path string, err *error) {
	r := recover()
	if r == nil {
		return
	}
	f, ok := r.(interface{ Addr() uintptr })
	if !ok {
		panic(r)
	}
	*err = fmt.Errorf("existing index %s: it shrank while being read (fault at %#x)", path, f.Addr())
}

// matchSidecar loads the sidecar of the index at path and returns it with
// the member's SHA-256 when it describes unsigned; otherwise nil.
func matchSidecar(path string, unsigned, key []byte, log *slog.Logger) (*layout, *[32]byte) {
	lay, err := loadSidecar(path, key)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Debug("ignoring the index sidecar", "path", path, "err", err)
		}
		return nil, nil
	}
	if lay.size != int64(len(unsigned)) {
		log.Debug("ignoring the index sidecar: it describes another index", "path", path)
		return nil, nil
	}
	sum := sha256.Sum256(unsigned)
	if sum != lay.sum {
		log.Debug("ignoring the index sidecar: it describes another index", "path", path)
		return nil, &sum
	}
	return lay, &sum
}

// memberDigest digests unsigned, reusing its SHA-256 when known.
func memberDigest(unsigned []byte, sum *[32]byte) func(crypto.Hash) []byte {
	return func(h crypto.Hash) []byte {
		if h == crypto.SHA256 && sum != nil {
			return sum[:]
		}
		return keys.Digest(h, unsigned)
	}
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
	return writeSorted(path, sorted(ix.Packages), ix.Description, s, sourceDateEpoch)
}

// writeSorted is WriteFile over records already in index order.
func writeSorted(path string, pkgs []*apk.PackageInfo, description string, s *keys.Signer, sourceDateEpoch int64) error {
	if sourceDateEpoch < 0 {
		return fmt.Errorf("index mtime %d is negative: SOURCE_DATE_EPOCH must be seconds since 1970", sourceDateEpoch)
	}
	parts, lay, err := marshalPackages(pkgs, description, time.Unix(sourceDateEpoch, 0))
	if err != nil {
		return err
	}
	if err := putParts(writeAtomic, path, parts, &lay.sum, UpdateOptions{Signer: s, SourceDateEpoch: sourceDateEpoch}); err != nil {
		return err
	}
	return storeSidecar(path, lay, sidecarKey(s))
}

// putParts signs the member given as pieces (when opts.Signer is set;
// sum is its SHA-256 when known) and hands the signature and the pieces
// to put.
func putParts(put func(string, ...[]byte) error, path string, parts [][]byte, sum *[32]byte, opts UpdateOptions) error {
	var sig []byte
	if opts.Signer != nil {
		var err error
		if sig, err = signParts(parts, sum, opts.Signer, opts.SourceDateEpoch); err != nil {
			return err
		}
	}
	return put(path, append([][]byte{sig}, parts...)...)
}

// writeAtomic replaces path with the concatenation of parts, handed to
// the file as they are (writeParts) rather than copied through a buffer
// of fresh pages.
func writeAtomic(path string, parts ...[]byte) error {
	f, err := fsutil.Create(path)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer f.Abort()
	if err := writeParts(f.File, parts); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Commit(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
