package apk

import (
	"archive/tar"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// craftEntry is one data entry of a hand-made package. Regular files get
// a correct SHA-1 record unless sha1 is set.
type craftEntry struct {
	name, link string
	typ        byte
	data       string
	sha1       string
}

// craft builds an unsigned package around entries, with a correct datahash,
// so that the only thing wrong with it is what the entries do.
func craft(t testing.TB, entries ...craftEntry) []byte {
	t.Helper()
	var data bytes.Buffer
	zw := gzip.NewWriter(&data)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(1, 0)}
		if e.typ == tar.TypeDir {
			hdr.Mode = 0o755
		}
		if e.typ == tar.TypeReg {
			hdr.Size = int64(len(e.data))
			sum := e.sha1
			if sum == "" {
				s := sha1.Sum([]byte(e.data))
				sum = hex.EncodeToString(s[:])
			}
			if sum != "none" {
				hdr.PAXRecords = map[string]string{paxSHA1: sum}
			}
		}

		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e.data))
	}
	tw.Close()
	zw.Close()
	return packageAround(t, data.Bytes())
}

// packageAround wraps a gzipped data member in an unsigned package with a
// matching datahash.
func packageAround(t testing.TB, data []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(data)
	info := &PackageInfo{Name: "crafted", Version: "1-r0", Size: 1, DataHash: hex.EncodeToString(sum[:])}
	control, err := controlMember(info, nil, nil, time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	return append(control, data...)
}

// rawHeader renders a ustar header block by hand, for entries Go's tar
// writer refuses to make.
func rawHeader(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b[0:], name)
	copy(b[100:], "0000644\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000001\x00")
	copy(b[148:], "        ")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad512(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

// TestReadRefusesSparseBomb: a PAX GNU sparse file of a few bytes that
// claims gigabytes of holes is refused before anything is expanded.
func TestReadRefusesSparseBomb(t *testing.T) {
	rec := func(kv string) string {
		n := len(kv) + 2
		for len(fmt.Sprintf("%d %s\n", n, kv)) != n {
			n++
		}
		return fmt.Sprintf("%d %s\n", n, kv)
	}
	pax := rec("GNU.sparse.major=1") + rec("GNU.sparse.minor=0") + rec("GNU.sparse.name=evil") +
		rec("GNU.sparse.realsize=8000000000") + rec(paxSHA1+"="+strings.Repeat("0", 40))
	var raw []byte
	raw = append(raw, rawHeader("PaxHeaders/evil", 'x', len(pax))...)
	raw = append(raw, pad512([]byte(pax))...)
	raw = append(raw, rawHeader("GNUSparseFile.0/evil", '0', 1024)...)
	raw = append(raw, pad512([]byte("1\n0\n1\n"))...) // sparse map: one 1-byte region at 0
	raw = append(raw, pad512([]byte("x"))...)
	raw = append(raw, make([]byte, 1024)...)
	var data bytes.Buffer
	zw := gzip.NewWriter(&data)
	zw.Write(raw)
	zw.Close()
	_, err := Read(bytes.NewReader(packageAround(t, data.Bytes())), ReadOptions{})
	if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), "GNU sparse") {
		t.Fatalf("err = %v, want a refused sparse file", err)
	}
}

func dir(name string) craftEntry        { return craftEntry{name: name, typ: tar.TypeDir} }
func file(name, data string) craftEntry { return craftEntry{name: name, typ: tar.TypeReg, data: data} }
func symlink(name, link string) craftEntry {
	return craftEntry{name: name, typ: tar.TypeSymlink, link: link}
}
func hardlink(name, link string) craftEntry {
	return craftEntry{name: name, typ: tar.TypeLink, link: link}
}

// TestExtractAttacks feeds archives that try to write outside the root.
// Each must fail, and nothing may appear outside the root.
func TestExtractAttacks(t *testing.T) {
	cases := []struct {
		name    string
		entries []craftEntry
		unsafe  bool // ErrUnsafePath (else ErrCorrupted only)
	}{
		{"dotdot-file", []craftEntry{file("../outside/evil", "x")}, true},
		{"dotdot-in-the-middle", []craftEntry{dir("a"), file("a/../../outside/evil", "x")}, true},
		{"absolute-name", []craftEntry{file("/outside/evil", "x")}, true},
		{"write-through-absolute-symlink", []craftEntry{symlink("link", "/"), file("link/outside/evil", "x")}, true},
		{"write-through-relative-symlink", []craftEntry{symlink("link", "../outside"), file("link/evil", "x")}, true},
		{"dir-through-symlink", []craftEntry{symlink("link", "../outside"), dir("link/evil")}, true},
		{"dir-over-escaping-symlink", []craftEntry{symlink("etc", "../outside"), dir("etc")}, true},
		{"symlink-chain-escape", []craftEntry{symlink("a", "b"), symlink("b", "../outside"), file("a/evil", "x")}, true},
		{"hardlink-outside", []craftEntry{hardlink("evil", "../outside/secret")}, false},
		{"hardlink-to-absolute", []craftEntry{hardlink("evil", "/etc/passwd")}, false},
		{"hardlink-to-replaced-symlink", []craftEntry{file("a", "x"), symlink("a", "../outside/secret"), hardlink("evil", "a")}, false},
		{"checksum-mismatch", []craftEntry{file("evil", "x")}, false},
		{"missing-checksum", []craftEntry{{name: "evil", typ: tar.TypeReg, data: "x", sha1: "none"}}, false},
		{"dot-slash-name", []craftEntry{file("./evil", "x")}, false},
	}
	cases[11].entries[0].sha1 = strings.Repeat("0", 40)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
			os.Mkdir(root, 0o755)
			os.Mkdir(outside, 0o755)
			os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o600)
			_, err := Read(bytes.NewReader(craft(t, c.entries...)), ReadOptions{ExtractTo: root})
			if err == nil {
				t.Fatal("extraction succeeded")
			}
			t.Log(err)
			if !errors.Is(err, ErrCorrupted) || errors.Is(err, ErrUnsafePath) != c.unsafe {
				t.Fatalf("err = %v (unsafe path: %v), want unsafe=%v", err, errors.Is(err, ErrUnsafePath), c.unsafe)
			}
			if _, err := os.Lstat(filepath.Join(outside, "evil")); err == nil {
				t.Fatal("a file was written outside the root")
			}
			if got, _ := os.ReadFile(filepath.Join(outside, "secret")); string(got) != "secret" {
				t.Fatal("a file outside the root was changed")
			}
			if _, err := os.Lstat(filepath.Join(root, "evil")); err == nil {
				t.Fatal("a file whose checks failed was left in the root")
			}
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if strings.HasPrefix(filepath.Base(p), ".pestle-new.") {
					t.Errorf("temporary file %s left behind", p)
				}
				return nil
			})
		})
	}
}

// TestExtractThroughInnerSymlink: a symlink that stays inside the root
// (a merged-/usr layout) is followed.
func TestExtractThroughInnerSymlink(t *testing.T) {
	root := t.TempDir()
	pkg := craft(t, dir("usr"), dir("usr/lib"), symlink("lib", "usr/lib"), dir("lib"), file("lib/libc.so", "libc"))
	if _, err := Read(bytes.NewReader(pkg), ReadOptions{ExtractTo: root}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "usr/lib/libc.so")); err != nil || string(b) != "libc" {
		t.Fatalf("usr/lib/libc.so: %q %v", b, err)
	}
}

// TestRoundTrip packs a tree, reads it back with the keyring (every entry
// comes back, checksums verify) and extracts it into a fresh root that
// must match the source tree.
func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	buildGoldenTree(t, src)
	var buf bytes.Buffer
	if err := Write(&buf, src, goldenInfo(), goldenOptions(t)); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	var entries []Entry
	pkg, err := Read(bytes.NewReader(buf.Bytes()), ReadOptions{Keyring: goldenKeyring(t), ExtractTo: root,
		OnEntry: func(e Entry) error { entries = append(entries, e); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Verified != "test.rsa.pub" {
		t.Errorf("verified by %q", pkg.Verified)
	}
	if len(pkg.Control) != 4 || string(pkg.Control[".trigger"]) == "" {
		t.Errorf("control entries: %d", len(pkg.Control))
	}
	var names []string
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(src, p); rel != "." {
			names = append(names, rel)
		}
		return nil
	})
	if len(entries) != len(names) {
		t.Fatalf("%d entries read back, tree has %d", len(entries), len(names))
	}
	for i, e := range entries {
		if e.Name != names[i] {
			t.Errorf("entry %d is %s, want %s", i, e.Name, names[i])
		}
		compareEntry(t, src, root, e)
	}
	st1, _ := os.Stat(filepath.Join(root, "usr/share/doc/hello/README"))
	st2, _ := os.Stat(filepath.Join(root, "usr/share/doc/hello/README.hard"))
	if !os.SameFile(st1, st2) {
		t.Error("hard link extracted as a copy")
	}
}

// compareEntry checks one extracted path against the source tree.
func compareEntry(t *testing.T, src, root string, e Entry) {
	t.Helper()
	a, err := os.Lstat(filepath.Join(src, e.Name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.Lstat(filepath.Join(root, e.Name))
	if err != nil {
		t.Errorf("%s not extracted: %v", e.Name, err)
		return
	}
	if a.Mode() != b.Mode() {
		t.Errorf("%s: mode %v, source %v", e.Name, b.Mode(), a.Mode())
	}
	if a.Mode()&fs.ModeSymlink != 0 {
		ta, _ := os.Readlink(filepath.Join(src, e.Name))
		tb, _ := os.Readlink(filepath.Join(root, e.Name))
		if ta != tb {
			t.Errorf("%s: link %q, source %q", e.Name, tb, ta)
		}
		return
	}
	if !b.ModTime().Equal(time.Unix(goldenEpoch, 0)) {
		t.Errorf("%s: mtime %v", e.Name, b.ModTime())
	}
	if a.Mode().IsRegular() {
		da, _ := os.ReadFile(filepath.Join(src, e.Name))
		db, _ := os.ReadFile(filepath.Join(root, e.Name))
		if !bytes.Equal(da, db) {
			t.Errorf("%s: content differs", e.Name)
		}
		if sum := sha1.Sum(da); !bytes.Equal(sum[:], e.SHA1) {
			t.Errorf("%s: Entry.SHA1 %x, content %x", e.Name, e.SHA1, sum)
		}
	}
	if os.Geteuid() == 0 {
		if st := b.Sys().(*syscall.Stat_t); st.Uid != 0 || st.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want 0:0", e.Name, st.Uid, st.Gid)
		}
	}
}
