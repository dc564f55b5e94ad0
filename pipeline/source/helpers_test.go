package source

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// member is one entry of a test archive.
type member struct {
	name string
	typ  byte // tar.TypeReg, TypeDir, TypeSymlink, TypeLink
	body string
	link string
	mode int64
}

var testMtime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)

// sampleTree is a release tarball: a top directory, an implicit
// directory, modes, a symlink and a hard link.
var sampleTree = []member{
	{name: "pkg-1.0/", typ: tar.TypeDir, mode: 0o755},
	{name: "pkg-1.0/README", typ: tar.TypeReg, body: "hello\n", mode: 0o644},
	{name: "pkg-1.0/bin/run", typ: tar.TypeReg, body: "#!/bin/sh\necho run\n", mode: 0o755},
	{name: "pkg-1.0/src/", typ: tar.TypeDir, mode: 0o750},
	{name: "pkg-1.0/src/main.c", typ: tar.TypeReg, body: "int main(void) { return 0; }\n", mode: 0o600},
	{name: "pkg-1.0/src/link.c", typ: tar.TypeSymlink, link: "main.c"},
	{name: "pkg-1.0/src/hard.c", typ: tar.TypeLink, link: "pkg-1.0/src/main.c"},
}

func makeTar(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := &tar.Header{Name: m.name, Typeflag: m.typ, Linkname: m.link, Mode: m.mode, ModTime: testMtime, Format: tar.FormatPAX}
		if m.typ == tar.TypeReg {
			h.Size = int64(len(m.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if m.typ == tar.TypeReg {
			tw.Write([]byte(m.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func makeZip(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate, Modified: testMtime}
		body := m.body
		switch m.typ {
		case tar.TypeDir:
			h.SetMode(fs.ModeDir | fs.FileMode(m.mode))
		case tar.TypeSymlink:
			h.SetMode(fs.ModeSymlink | 0o777)
			body = m.link
		case tar.TypeLink: // zip has no hard links: store a copy
			continue
		default:
			h.SetMode(fs.FileMode(m.mode))
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func xzc(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := xz.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zst(t testing.TB, b []byte) []byte {
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(b, nil)
}

// listTree describes every entry under dir, one line each, sorted:
// "path mode" for directories and files (plus the content of files),
// "path -> target" for symlinks.
func listTree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case fi.IsDir():
			out = append(out, rel+"/ "+fi.Mode().Perm().String())
		default:
			body, _ := os.ReadFile(p)
			out = append(out, rel+" "+fi.Mode().Perm().String()+" "+strings.TrimSpace(string(body)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
