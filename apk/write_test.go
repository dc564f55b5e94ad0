package apk

import (
	"archive/tar"
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

const goldenEpoch = 1700000000

// buildGoldenTree makes a small tree with every kind of entry the writer
// handles: dirs (one sticky, one 0700), files, a setuid file, a file larger
// than the writer's buffer, symlinks and a hard link.
func buildGoldenTree(t testing.TB, dir string) {
	t.Helper()
	big := make([]byte, 1<<20+12345)
	for i := range big {
		big[i] = byte(i*7 + i/4096)
	}
	files := []struct {
		name string
		mode os.FileMode
		data []byte
	}{
		{"bin/hello", 0o755, []byte("#!/bin/sh\necho hello\n")},
		{"bin/su", 0o755 | os.ModeSetuid, []byte("not really su\n")},
		{"etc/motd", 0o644, []byte("Welcome to pestle!\n")},
		{"usr/lib/libx.so.1", 0o644, []byte("\x7fELF pretend library\n")},
		{"usr/share/doc/hello/README", 0o644, []byte("hello: says hello\n")},
		{"usr/share/hello/big.bin", 0o600, big},
		{"usr/share/hello/empty", 0o644, nil},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink("libx.so.1", filepath.Join(dir, "usr/lib/libx.so")))
	must(os.Symlink("/etc/motd", filepath.Join(dir, "etc/motd.link")))
	must(os.Link(filepath.Join(dir, "usr/share/doc/hello/README"), filepath.Join(dir, "usr/share/doc/hello/README.hard")))
	must(os.MkdirAll(filepath.Join(dir, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(dir, "tmp"), 0o777|os.ModeSticky))
	must(os.MkdirAll(filepath.Join(dir, "var/empty"), 0o755))
	must(os.Chmod(filepath.Join(dir, "var/empty"), 0o700))
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() && p != filepath.Join(dir, "tmp") && p != filepath.Join(dir, "var/empty") {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func goldenInfo() *PackageInfo {
	return &PackageInfo{
		Name: "hello", Version: "2.12.1-r0", Arch: "x86_64", Origin: "hello",
		Description: "the friendly greeter", URL: "https://example.org/hello", License: "GPL-3.0-or-later",
		Depends:  []string{"busybox", "so:libc.musl-x86_64.so.1"},
		Provides: []string{"cmd:hello=2.12.1-r0"}, Triggers: []string{"/usr/share/hello/*"},
	}
}

func goldenOptions(t testing.TB) WriteOptions {
	return WriteOptions{
		Signer: &keys.Signer{Key: goldenKey(t), Name: "test.rsa.pub"}, SourceDateEpoch: goldenEpoch,
		Scripts: map[string][]byte{
			".post-install": []byte("#!/bin/sh\necho installed\n"),
			".pre-install":  []byte("#!/bin/sh\nexit 0\n"),
			".trigger":      []byte("#!/bin/sh\necho triggered \"$@\"\n"),
		},
		ExtraControl: map[string][]byte{".melange.yaml": []byte("package:\n  name: hello\n")},
	}
}

func writeGolden(t testing.TB) ([]byte, *PackageInfo) {
	t.Helper()
	dir := t.TempDir()
	buildGoldenTree(t, dir)
	info := goldenInfo()
	var buf bytes.Buffer
	if err := Write(&buf, dir, info, goldenOptions(t)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), info
}

// listing renders every tar entry of a concatenated segment stream.
func listing(t testing.TB, data []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var b strings.Builder
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var pax []string
		for k, v := range hdr.PAXRecords {
			pax = append(pax, k+"="+v)
		}
		sort.Strings(pax)
		fmt.Fprintf(&b, "%s type=%c mode=%04o owner=%d/%d %s/%s size=%d mtime=%d link=%q pax=%v format=%v\n",
			hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.Size,
			hdr.ModTime.Unix(), hdr.Linkname, pax, hdr.Format)
	}
	return b.String()
}

// members splits a package into its gzip members' raw bytes.
func members(t testing.TB, data []byte) [][]byte {
	t.Helper()
	var out [][]byte
	tp := newTap(bytes.NewReader(data))
	zr, err := gzip.NewReader(tp)
	start := int64(0)
	for err == nil {
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			t.Fatal(err)
		}
		out = append(out, data[start:tp.n])
		start = tp.n
		err = zr.Reset(tp)
	}
	if err != io.EOF {
		t.Fatal(err)
	}
	return out
}

func TestWriteGolden(t *testing.T) {
	data, info := writeGolden(t)
	ms := members(t, data)
	if len(ms) != 3 {
		t.Fatalf("%d gzip members, want 3", len(ms))
	}
	pkg, err := Read(bytes.NewReader(data), ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "golden", "hello.PKGINFO"), pkg.PKGINFO, *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "hello.control.txt"), []byte(listing(t, append(bytes.Clone(ms[0]), ms[1]...))), *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "hello.data.txt"), []byte(listing(t, ms[2])), *update)
	sum := sha256.Sum256(data)
	fixture.Golden(t, filepath.Join("testdata", "golden", "hello.apk.sha256"), []byte(hex.EncodeToString(sum[:])+"\n"), *update)

	// The facts the golden files rest on.
	ds := sha256.Sum256(ms[2])
	if info.DataHash != hex.EncodeToString(ds[:]) {
		t.Errorf("datahash %s is not the SHA-256 of the data member", info.DataHash)
	}
	cs := sha1.Sum(ms[1])
	if !bytes.Equal(info.Checksum, cs[:]) || !bytes.Equal(pkg.Info.Checksum, cs[:]) {
		t.Errorf("checksum is not the SHA-1 of the control member")
	}
	if info.FileSize != int64(len(data)) {
		t.Errorf("FileSize %d, want %d", info.FileSize, len(data))
	}
	if info.BuildDate != goldenEpoch {
		t.Errorf("builddate %d, want SOURCE_DATE_EPOCH", info.BuildDate)
	}
	// 1 MiB+12345 + 5 small files + the hard link (counted again, as
	// melange does) + two symlink targets + 12 directories with the root.
	var want uint64 = 1<<20 + 12345 + 21 + 14 + 19 + 21 + 18 + 18 + uint64(len("libx.so.1")+len("/etc/motd")) + 12*DirSize
	if info.Size != want {
		t.Errorf("installed size %d, want %d", info.Size, want)
	}
	// Segment trailers: signature and control have none, data has one.
	for i, m := range ms {
		zr, _ := gzip.NewReader(bytes.NewReader(m))
		raw, _ := io.ReadAll(zr)
		trailer := len(raw) >= 1024 && bytes.Equal(raw[len(raw)-1024:], make([]byte, 1024))
		if trailer != (i == 2) {
			t.Errorf("member %d: end-of-archive blocks = %v", i+1, trailer)
		}
	}
}

func TestWriteReproducible(t *testing.T) {
	a, _ := writeGolden(t)
	b, _ := writeGolden(t) // another tree, another path, same content
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same tree differ")
	}
}

func TestWriteSameAfterWarmUp(t *testing.T) {
	a, _ := writeGolden(t)
	for range 3 { // the compressor has seen other bytes, several times
		WarmUp()
		b, _ := writeGolden(t)
		if !bytes.Equal(a, b) {
			t.Fatal("a write after WarmUp differs from one before")
		}
	}
}

func TestWriteUnsigned(t *testing.T) {
	dir := t.TempDir()
	buildGoldenTree(t, dir)
	opts := goldenOptions(t)
	opts.Signer = nil
	var buf bytes.Buffer
	if err := Write(&buf, dir, goldenInfo(), opts); err != nil {
		t.Fatal(err)
	}
	if n := len(members(t, buf.Bytes())); n != 2 {
		t.Fatalf("%d members, want 2", n)
	}
	pkg, err := Read(bytes.NewReader(buf.Bytes()), ReadOptions{Keyring: goldenKeyring(t), AllowUntrusted: true})
	if err != nil || len(pkg.Signatures) != 0 || pkg.Verified != "" {
		t.Fatalf("unsigned package: %v %+v", err, pkg)
	}
	_, err = Read(bytes.NewReader(buf.Bytes()), ReadOptions{Keyring: goldenKeyring(t)})
	if !strings.Contains(fmt.Sprint(err), "not signed") {
		t.Fatalf("unsigned package without AllowUntrusted: %v", err)
	}
}

func TestWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644)
	cases := []struct {
		name   string
		mutate func(*PackageInfo, *WriteOptions)
		want   string
	}{
		{"no name", func(i *PackageInfo, _ *WriteOptions) { i.Name = "" }, "Name is empty"},
		{"bad name", func(i *PackageInfo, _ *WriteOptions) { i.Name = "-x" }, "invalid package name"},
		{"no key name", func(_ *PackageInfo, o *WriteOptions) { o.Signer.Name = "" }, "needs a key name"},
		{"unknown script", func(_ *PackageInfo, o *WriteOptions) { o.Scripts = map[string][]byte{".install": nil} }, "unknown script"},
		{"bad extra", func(_ *PackageInfo, o *WriteOptions) { o.ExtraControl = map[string][]byte{"x/y": nil} }, "invalid extra control"},
		{"trigger without script", func(_ *PackageInfo, o *WriteOptions) { o.Scripts = nil }, "no .trigger script"},
		{"negative epoch", func(_ *PackageInfo, o *WriteOptions) { o.SourceDateEpoch = -1 }, "out of range"},
		{"huge uid", func(_ *PackageInfo, o *WriteOptions) {
			o.Owner = func(int, int, string) (int, int, string, string) { return 2097152, 0, "big", "root" }
		}, "does not fit a tar header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, opts := goldenInfo(), goldenOptions(t)
			c.mutate(info, &opts)
			err := Write(io.Discard, dir, info, opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	os.WriteFile(filepath.Join(dir, ".hidden"), nil, 0o644)
	err := Write(io.Discard, dir, &PackageInfo{Name: "x", Version: "1-r0"}, WriteOptions{})
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindInvalid || e.File != ".hidden" {
		t.Fatalf("top-level dot file: %v", err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	src := t.TempDir()
	buildGoldenTree(t, src)
	out := filepath.Join(t.TempDir(), "packages", "x86_64", "hello-2.12.1-r0.apk")
	if err := WriteFile(out, src, goldenInfo(), goldenOptions(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(out, ReadOptions{Keyring: goldenKeyring(t)}); err != nil {
		t.Fatal(err)
	}
	// A failing write leaves the old file and no temporary file.
	before, _ := os.ReadFile(out)
	info := goldenInfo()
	info.Name = "bad name"
	if err := WriteFile(out, src, info, goldenOptions(t)); err == nil {
		t.Fatal("want an error")
	}
	after, _ := os.ReadFile(out)
	ents, _ := os.ReadDir(filepath.Dir(out))
	if !bytes.Equal(before, after) || len(ents) != 1 {
		t.Fatalf("failed write changed the directory: %d entries", len(ents))
	}
}

// TestInstalledSizeMatchesMelange rebuilds the melange fixtures' trees and
// checks that, with the directory sizes of the filesystem melange ran on
// (APFS: 64 + 32 per entry), the writer's installed size equals theirs.
func TestInstalledSizeMatchesMelange(t *testing.T) {
	for _, fx := range fixturePackages[:3] {
		t.Run(fx.pkgver, func(t *testing.T) {
			root := t.TempDir()
			pkg, err := ReadFile(fixture.Path(t, fx.file), ReadOptions{ExtractTo: root})
			if err != nil {
				t.Fatal(err)
			}
			opts := WriteOptions{dirSize: func(n int) uint64 { return 64 + 32*uint64(n) }}
			info := &PackageInfo{Name: pkg.Info.Name, Version: pkg.Info.Version}
			if err := Write(io.Discard, root, info, opts); err != nil {
				t.Fatal(err)
			}
			if info.Size != pkg.Info.Size {
				t.Errorf("installed size %d, melange says %d", info.Size, pkg.Info.Size)
			}
		})
	}
}

func TestWriteRefusesMissingTree(t *testing.T) {
	dir := t.TempDir()
	err := Write(io.Discard, filepath.Join(dir, "missing"), &PackageInfo{Name: "a", Version: "1-r0"}, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "the tree to pack") || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("error %v, want one saying the tree does not exist", err)
	}
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	err = Write(io.Discard, file, &PackageInfo{Name: "a", Version: "1-r0"}, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("error %v, want one saying the tree is not a directory", err)
	}
}
