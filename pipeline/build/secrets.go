package build

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// pemSniff is how much of a small source file is searched for a PEM
// private-key block. Key files are a few KiB; larger files are not read
// (a private key inside a big file is not caught).
const pemSniff = 64 << 10

// secrets keeps private keys out of the workspace: the signing key file
// (recognised by device and inode, whatever it is called or linked as)
// and any small regular file holding a PEM private key. Whatever shape the
// workspace takes (a copy, an overlay view), it asks skip about each
// source file.
type secrets struct {
	key     *fileID // the signing key, nil without one
	keyPath string  // the signing key's absolute path as given
	log     *slog.Logger

	mu    sync.Mutex
	found []string
}

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) *fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return &fileID{uint64(st.Dev), uint64(st.Ino)}
	}
	return nil
}

// newSecrets returns the filter for a build signed with signingKey ("" for
// none).
func newSecrets(signingKey string, log *slog.Logger) *secrets {
	s := &secrets{log: log}
	if signingKey != "" {
		if fi, err := os.Stat(signingKey); err == nil {
			s.key = idOf(fi)
		}
		s.keyPath, _ = filepath.Abs(signingKey)
	}
	return s
}

// skip reports whether the source file at path (shown as rel) must stay
// out of the workspace, and warns once, naming it, when it does.
func (s *secrets) skip(path, rel string, d fs.DirEntry) bool {
	why := s.check(path, d)
	if why != "" {
		s.leave(path, rel, why)
	}
	return why != ""
}

// check returns why the source file at path must stay out of the
// workspace, or "" when it may go in. It is safe for concurrent use.
func (s *secrets) check(path string, d fs.DirEntry) string {
	if s == nil || !d.Type().IsRegular() {
		return ""
	}
	fi, err := d.Info()
	if err != nil {
		return ""
	}
	switch id := idOf(fi); {
	case s.key != nil && id != nil && *id == *s.key:
		return whySigningKey
	case fi.Size() <= pemSniff && holdsPrivateKey(path):
		return "it holds a PEM private key"
	}
	return ""
}

// keyCheck searches files for private keys on every CPU: add queues a
// file, wait returns those that stay out, sorted, having recorded and
// warned about each in that order.
type keyCheck struct {
	s     *secrets
	queue chan keyFile
	wg    sync.WaitGroup
	mu    sync.Mutex
	hits  []keyFile
}

type keyFile struct {
	path, rel, why string
	d              fs.DirEntry
}

// checkAll starts the workers of a keyCheck; on a nil secrets, add and
// wait do nothing.
func (s *secrets) checkAll() *keyCheck {
	k := &keyCheck{s: s}
	if s == nil {
		return k
	}
	k.queue = make(chan keyFile, 64)
	// Twice the CPUs: a file not in the page cache waits for the disk.
	for range min(2*runtime.GOMAXPROCS(0), 16) {
		k.wg.Go(func() {
			for kf := range k.queue {
				if kf.why = s.check(kf.path, kf.d); kf.why != "" {
					k.mu.Lock()
					k.hits = append(k.hits, kf)
					k.mu.Unlock()
				}
			}
		})
	}
	return k
}

func (k *keyCheck) add(path, rel string, d fs.DirEntry) {
	if k.queue != nil && d.Type().IsRegular() {
		k.queue <- keyFile{path: path, rel: rel, d: d}
	}
}

func (k *keyCheck) wait() []string {
	if k.queue == nil {
		return nil
	}
	close(k.queue)
	k.wg.Wait()
	slices.SortFunc(k.hits, func(a, b keyFile) int { return strings.Compare(a.rel, b.rel) })
	rels := make([]string, len(k.hits))
	for i, h := range k.hits {
		k.s.leave(h.path, h.rel, h.why)
		rels[i] = h.rel
	}
	return rels
}

// whySigningKey is check's answer for the signing key, under any name.
const whySigningKey = "it is the signing key"

// leave records that rel (at path) stays out of the workspace and says
// so: a warning naming it, but only a note for the signing key at the
// path --signing-key gave, which is where melange's layout keeps it.
func (s *secrets) leave(path, rel, why string) {
	s.mu.Lock()
	s.found = append(s.found, rel)
	s.mu.Unlock()
	if abs, err := filepath.Abs(path); err == nil && why == whySigningKey && abs == s.keyPath {
		s.log.Info("the signing key stays out of the workspace", "file", rel, "why", why)
		return
	}
	s.log.Warn("a private key sits in the source folder: not copied into the workspace (move it out of the folder)",
		"file", rel, "why", why)
}

// sniffBufs holds the buffers holdsPrivateKey reads into.
var sniffBufs = sync.Pool{New: func() any { b := make([]byte, pemSniff); return &b }}

// holdsPrivateKey reports whether the file at path has a PEM private-key
// header line ("-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN PRIVATE
// KEY-----", "-----BEGIN OPENSSH PRIVATE KEY-----"…) in its first
// pemSniff bytes. It never follows a symlink nor blocks on a FIFO.
func holdsPrivateKey(path string) bool {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	bp := sniffBufs.Get().(*[]byte)
	defer sniffBufs.Put(bp)
	buf := *bp
	if fi.Size() < int64(len(buf)) {
		buf = buf[:fi.Size()] // one read; what a file grows by meanwhile is not searched
	}
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	return hasPrivateKeyLine(buf[:n])
}

// pemBegin starts a PEM header line.
var pemBegin = []byte("-----BEGIN ")

// hasPrivateKeyLine reports whether a line of data, stripped of trailing
// blanks, starts with "-----BEGIN " and ends with "PRIVATE KEY-----".
func hasPrivateKeyLine(data []byte) bool {
	for at := 0; ; {
		i := bytes.Index(data[at:], pemBegin)
		if i < 0 {
			return false
		}
		i += at
		if i == 0 || data[i-1] == '\n' {
			line := data[i:]
			if j := bytes.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			if bytes.HasSuffix(bytes.TrimRight(line, " \t\r"), []byte("PRIVATE KEY-----")) {
				return true
			}
		}
		at = i + len(pemBegin)
	}
}
