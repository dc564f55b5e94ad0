package netrec

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// staleDirs are the stores this process has cleared of the bodies dead
// builds left half written.
var staleDirs sync.Map

// store keeps response bodies under dir, one file per sha256.
type store struct{ dir string }

func (s store) path(sum string) string { return filepath.Join(s.dir, sum) }

// spool is a body being written to the store while it is hashed.
type spool struct {
	f    *os.File
	h    hash.Hash
	size int64
}

// create starts a body; nil (and no error) when the store is disabled.
func (s store) create() (*spool, error) {
	if s.dir == "" {
		return &spool{h: sha256.New()}, nil
	}
	// A body being written carries its writer's pid in its name
	// (fsutil.Create), so what a killed build left is removed by the next
	// one (RemoveStale, once a process for each store).
	f, err := fsutil.Create(filepath.Join(s.dir, "body"))
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(s.dir, 0o755); err == nil {
			f, err = fsutil.Create(filepath.Join(s.dir, "body"))
		}
	}
	if err != nil {
		return nil, err
	}
	if _, done := staleDirs.LoadOrStore(s.dir, true); !done {
		_, _ = fsutil.RemoveStale(s.dir)
	}
	return &spool{f: f.File, h: sha256.New()}, nil
}

func (sp *spool) Write(p []byte) (int, error) {
	sp.h.Write(p)
	sp.size += int64(len(p))
	if sp.f == nil {
		return len(p), nil
	}
	return sp.f.Write(p)
}

func (sp *spool) sum() string { return hex.EncodeToString(sp.h.Sum(nil)) }

// commit files the body under its checksum.
func (sp *spool) commit(s store) error {
	if sp.f == nil {
		return nil
	}
	name := sp.f.Name()
	err := sp.f.Close()
	if err == nil {
		// The store is content-addressed: a body already filed under its
		// checksum is this one, and renaming over it costs the
		// filesystem a flush (ext4 does one on a rename that replaces).
		if _, serr := os.Lstat(s.path(sp.sum())); serr == nil {
			return os.Remove(name)
		}
		err = os.Rename(name, s.path(sp.sum()))
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}

// discard drops the body.
func (sp *spool) discard() {
	if sp.f != nil {
		sp.f.Close()
		os.Remove(sp.f.Name())
	}
}

// ErrChecksum is a body whose sha256 is not the recorded one.
var ErrChecksum = errors.New("checksum mismatch")

// open returns the body with checksum sum, verified: it is hashed in
// full before it is returned. fs.ErrNotExist when the store lacks it.
func (s store) open(sum string, size int64) (*os.File, error) {
	if s.dir == "" {
		return nil, os.ErrNotExist
	}
	f, err := os.Open(s.path(sum))
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, size+1))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum || n != size {
		f.Close()
		return nil, fmt.Errorf("%w: the cached body %s has sha256 %s and %d bytes, the lock records %s and %d bytes", ErrChecksum, s.path(sum), got, n, sum, size)
	}
	return f, nil
}
