package build

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"os"
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
	key *fileID // the signing key, nil without one
	log *slog.Logger

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
	}
	return s
}

// skip reports whether the source file at path (shown as rel) must stay
// out of the workspace, and warns once, naming it, when it does.
func (s *secrets) skip(path, rel string, d fs.DirEntry) bool {
	if s == nil || !d.Type().IsRegular() {
		return false
	}
	fi, err := d.Info()
	if err != nil {
		return false
	}
	why := ""
	switch id := idOf(fi); {
	case s.key != nil && id != nil && *id == *s.key:
		why = "it is the signing key"
	case fi.Size() <= pemSniff && holdsPrivateKey(path):
		why = "it holds a PEM private key"
	default:
		return false
	}
	s.mu.Lock()
	s.found = append(s.found, rel)
	s.mu.Unlock()
	s.log.Warn("a private key sits in the source folder: not copied into the workspace (move it out of the folder)",
		"file", rel, "why", why)
	return true
}

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
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return false
	}
	data, _ := io.ReadAll(io.LimitReader(f, pemSniff))
	for line := range bytes.Lines(data) {
		label, ok := bytes.CutPrefix(bytes.TrimRight(line, " \t\r\n"), []byte("-----BEGIN "))
		if ok && bytes.HasSuffix(label, []byte("PRIVATE KEY-----")) {
			return true
		}
	}
	return false
}
