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

// spool is a body on its way to the store while it is hashed. It is kept
// in memory while it fits in maxMemBody, so that a body the store already
// has (a rebuild's) costs no file; a larger one goes to a file named with
// its writer's pid as it arrives.
type spool struct {
	dir  string
	h    hash.Hash
	size int64
	mem  *[]byte
	f    *os.File
	err  error // the first write error: the body is then not filed
}

// maxMemBody is the largest body a spool keeps in memory.
const maxMemBody = 1 << 20

var memBodies = sync.Pool{New: func() any { b := make([]byte, 0, 256<<10); return &b }}

// create starts a body; with the store disabled it is only hashed.
func (s store) create() *spool {
	sp := &spool{dir: s.dir, h: sha256.New()}
	if s.dir != "" {
		sp.mem = memBodies.Get().(*[]byte)
		*sp.mem = (*sp.mem)[:0]
	}
	return sp
}

// file opens a new body file in the store.
func (s store) file() (*os.File, error) {
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
	return f.File, nil
}

func (sp *spool) Write(p []byte) (int, error) {
	sp.h.Write(p)
	sp.size += int64(len(p))
	switch {
	case sp.dir == "" || sp.err != nil:
	case sp.mem != nil && len(*sp.mem)+len(p) <= maxMemBody:
		*sp.mem = append(*sp.mem, p...)
	default:
		if sp.f == nil {
			if sp.f, sp.err = (store{dir: sp.dir}).file(); sp.err != nil {
				sp.release()
				return len(p), nil
			}
			if sp.mem != nil {
				_, sp.err = sp.f.Write(*sp.mem)
				sp.release()
			}
		}
		if sp.err == nil {
			_, sp.err = sp.f.Write(p)
		}
	}
	return len(p), nil
}

func (sp *spool) sum() string { return hex.EncodeToString(sp.h.Sum(nil)) }

// release gives the memory back.
func (sp *spool) release() {
	if sp.mem != nil && cap(*sp.mem) <= maxMemBody+(256<<10) {
		memBodies.Put(sp.mem)
	}
	sp.mem = nil
}

// commit files the body under its checksum, unless the store has it.
func (sp *spool) commit(s store) (err error) {
	defer sp.release()
	if sp.dir == "" {
		return nil
	}
	if sp.err != nil {
		sp.discard()
		return sp.err
	}
	final := s.path(sp.sum())
	// The store is content-addressed: a body already filed under its
	// checksum is this one, and renaming over it costs the filesystem a
	// flush (ext4 does one on a rename that replaces).
	if _, serr := os.Lstat(final); serr == nil {
		sp.discard()
		return nil
	}
	if sp.f == nil {
		if sp.f, err = s.file(); err != nil {
			return err
		}
		if _, err = sp.f.Write(*sp.mem); err != nil {
			sp.discard()
			return err
		}
	}
	name := sp.f.Name()
	err = sp.f.Close()
	sp.f = nil
	if err == nil {
		err = os.Rename(name, final)
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
		sp.f = nil
	}
	sp.release()
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
