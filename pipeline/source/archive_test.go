package source

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/sample.tar.bz2 with the host bzip2")

// sampleArchives returns the sample tree in every supported format. The
// bzip2 one is a checked-in fixture (Go has no bzip2 writer); -update
// rebuilds it with the host's bzip2.
func sampleArchives(t testing.TB) map[string][]byte {
	t.Helper()
	raw := makeTar(t, sampleTree)
	bz := filepath.Join("testdata", "sample.tar.bz2")
	if *update {
		cmd := exec.Command("bzip2", "-9", "-c")
		cmd.Stdin = bytes.NewReader(raw)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bzip2: %v", err)
		}
		if err := os.WriteFile(bz, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bzData, err := os.ReadFile(bz)
	if err != nil {
		t.Fatalf("%v (run go test -update with bzip2 installed)", err)
	}
	return map[string][]byte{
		"sample.tar":     raw,
		"sample.tar.gz":  gz(t, raw),
		"sample.tar.xz":  xzc(t, raw),
		"sample.tar.bz2": bzData,
		"sample.tar.zst": zst(t, raw),
		"sample.zip":     makeZip(t, sampleTree),
	}
}

// wantSample is the sample tree, as listTree prints it, after
// strip-components 0, 1 or 2. The zip holds no hard link.
func wantSample(strip int, zip bool) []string {
	all := []struct{ path, rest string }{
		{"pkg-1.0/", "-rwxr-xr-x"},
		{"pkg-1.0/README", "-rw-r--r-- hello"},
		{"pkg-1.0/bin/", "-rwxr-xr-x"},
		{"pkg-1.0/bin/run", "-rwxr-xr-x #!/bin/sh\necho run"},
		{"pkg-1.0/src/", "-rwxr-x---"},
		{"pkg-1.0/src/hard.c", "-rw------- int main(void) { return 0; }"},
		{"pkg-1.0/src/link.c", "-> main.c"},
		{"pkg-1.0/src/main.c", "-rw------- int main(void) { return 0; }"},
	}
	var out []string
	for _, e := range all {
		if zip && strings.Contains(e.path, "hard.c") {
			continue
		}
		parts := strings.SplitN(e.path, "/", strip+1)
		if len(parts) <= strip || parts[strip] == "" {
			continue
		}
		out = append(out, parts[strip]+" "+e.rest)
	}
	slices.Sort(out)
	return out
}

func TestExtractFormats(t *testing.T) {
	for name, data := range sampleArchives(t) {
		for strip := 0; strip <= 2; strip++ {
			t.Run(name+"/strip"+string(rune('0'+strip)), func(t *testing.T) {
				dir := t.TempDir()
				arch := filepath.Join(t.TempDir(), name)
				os.WriteFile(arch, data, 0o644)
				dest := filepath.Join(dir, "out")
				if err := Extract(context.Background(), arch, dest, strip, nil); err != nil {
					t.Fatal(err)
				}
				got := listTree(t, dest)
				want := wantSample(strip, strings.HasSuffix(name, ".zip"))
				if !slices.Equal(got, want) {
					t.Errorf("tree:\n got %q\nwant %q", got, want)
				}
				if strip == 1 {
					fi, err := os.Stat(filepath.Join(dest, "README"))
					if err != nil || !fi.ModTime().Equal(testMtime) {
						t.Errorf("README mtime = %v, %v; want %v", fi.ModTime(), err, testMtime)
					}
					if !strings.HasSuffix(name, ".zip") {
						a, _ := os.Stat(filepath.Join(dest, "src/main.c"))
						b, _ := os.Stat(filepath.Join(dest, "src/hard.c"))
						if !os.SameFile(a, b) {
							t.Error("src/hard.c is not a hard link of src/main.c")
						}
					}
				}
				if left, _ := filepath.Glob(filepath.Join(dest, ".pestle-*")); len(left) > 0 {
					t.Errorf("staging left behind: %v", left)
				}
			})
		}
	}
}

func TestExtractOverExistingTree(t *testing.T) {
	dest := t.TempDir()
	os.WriteFile(filepath.Join(dest, "keep.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(dest, "README"), []byte("old"), 0o644)
	os.Mkdir(filepath.Join(dest, "src"), 0o755)
	os.WriteFile(filepath.Join(dest, "src", "old.c"), []byte("old"), 0o644)
	arch := filepath.Join(t.TempDir(), "a.tar.gz")
	os.WriteFile(arch, gz(t, makeTar(t, sampleTree)), 0o644)
	if err := Extract(context.Background(), arch, dest, 1, nil); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"keep.txt": "mine", "README": "hello\n", "src/old.c": "old"} {
		if b, _ := os.ReadFile(filepath.Join(dest, name)); string(b) != want {
			t.Errorf("%s = %q, want %q", name, b, want)
		}
	}
}

// maliciousTars are archives that try to write outside the target.
func maliciousTars(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"dotdot": makeTar(t, []member{{name: "pkg/../../evil", typ: tar.TypeReg, body: "x"}}),
		"dotdot-stripped-away": makeTar(t, []member{
			{name: "pkg/ok", typ: tar.TypeReg, body: "ok"},
			{name: "../pkg/evil", typ: tar.TypeReg, body: "x"}}),
		"absolute": makeTar(t, []member{{name: "/tmp/pestle-evil", typ: tar.TypeReg, body: "x"}}),
		"symlink-escape": makeTar(t, []member{
			{name: "pkg/link", typ: tar.TypeSymlink, link: "../../outside"},
			{name: "pkg/link/evil", typ: tar.TypeReg, body: "x"}}),
		"symlink-absolute": makeTar(t, []member{
			{name: "pkg/link", typ: tar.TypeSymlink, link: "/"},
			{name: "pkg/link/tmp/evil", typ: tar.TypeReg, body: "x"}}),
		"hardlink-escape": makeTar(t, []member{
			{name: "pkg/hard", typ: tar.TypeLink, link: "../../outside/secret"}}),
		"symlink-then-hardlink": makeTar(t, []member{
			{name: "pkg/link", typ: tar.TypeSymlink, link: "../../outside"},
			{name: "pkg/hard", typ: tar.TypeLink, link: "pkg/link/secret"}}),
	}
}

func TestExtractRejectsEscapes(t *testing.T) {
	for name, data := range maliciousTars(t) {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			outside := filepath.Join(base, "outside")
			os.Mkdir(outside, 0o755)
			os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
			dest := filepath.Join(base, "ws", "dest")
			arch := filepath.Join(base, "evil.tar")
			os.WriteFile(arch, data, 0o644)
			err := Extract(context.Background(), arch, dest, 1, nil)
			if err == nil {
				t.Fatal("extracted a malicious archive")
			}
			if !errors.Is(err, ErrUnsafePath) {
				t.Errorf("err = %v, want ErrUnsafePath", err)
			}
			var ee *ExtractError
			if !errors.As(err, &ee) || ee.Member == "" {
				t.Errorf("err = %#v, want *ExtractError naming the member", err)
			}
			if got := listTree(t, outside); !slices.Equal(got, []string{"secret -rw-r--r-- secret"}) {
				t.Errorf("outside changed: %q", got)
			}
			if got := listTree(t, dest); len(got) != 0 {
				t.Errorf("a refused archive left %q in the target", got)
			}
			if _, err := os.Lstat("/tmp/pestle-evil"); err == nil {
				t.Error("/tmp/pestle-evil was written")
			}
		})
	}
}

func TestExtractUnknownFormat(t *testing.T) {
	dir := t.TempDir()
	arch := filepath.Join(dir, "notes.txt")
	os.WriteFile(arch, []byte("just text, not an archive"), 0o644)
	err := Extract(context.Background(), arch, filepath.Join(dir, "out"), 1, nil)
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("err = %v, want ErrUnknownFormat", err)
	}
	gzText := filepath.Join(dir, "notes.txt.gz")
	os.WriteFile(gzText, gz(t, []byte("compressed text")), 0o644)
	if err := Extract(context.Background(), gzText, filepath.Join(dir, "out"), 1, nil); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("gzip of text: err = %v, want ErrUnknownFormat", err)
	}
}

func TestExtractReadOnlyDirectory(t *testing.T) {
	data := makeTar(t, []member{
		{name: "p/ro/", typ: tar.TypeDir, mode: 0o555},
		{name: "p/ro/file", typ: tar.TypeReg, body: "x", mode: 0o444},
	})
	arch := filepath.Join(t.TempDir(), "ro.tar")
	os.WriteFile(arch, data, 0o644)
	dest := t.TempDir()
	t.Cleanup(func() { os.Chmod(filepath.Join(dest, "ro"), 0o755) })
	if err := Extract(context.Background(), arch, dest, 1, nil); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dest, "ro"))
	if fi.Mode().Perm() != 0o555 || !fi.ModTime().Equal(testMtime) {
		t.Errorf("ro/ mode %v mtime %v; want r-xr-xr-x, %v", fi.Mode().Perm(), fi.ModTime(), testMtime)
	}
}

func TestSniff(t *testing.T) {
	for name, data := range sampleArchives(t) {
		want := map[string]format{"sample.tar": formatTar, "sample.tar.gz": formatGzip, "sample.tar.xz": formatXz,
			"sample.tar.bz2": formatBzip2, "sample.tar.zst": formatZstd, "sample.zip": formatZip}[name]
		if got := sniff(data[:min(512, len(data))]); got != want {
			t.Errorf("%s: sniff = %v, want %v", name, got, want)
		}
	}
	// A v7 tar header (no ustar magic) is recognised by its checksum.
	v7 := makeTar(t, []member{{name: "a", typ: tar.TypeReg, body: "x"}})
	copy(v7[257:265], make([]byte, 8))
	if sniff(v7) != formatUnknown {
		t.Error("header with a stale checksum taken for tar")
	}
	sum := 0
	for i, c := range v7[:512] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		sum += int(c)
	}
	copy(v7[148:156], fmt.Sprintf("%06o\x00 ", sum))
	if sniff(v7) != formatTar {
		t.Error("v7 tar header not recognised")
	}
	if sniff([]byte("plain text")) != formatUnknown {
		t.Error("text taken for an archive")
	}
}

// FuzzExtractTar feeds arbitrary bytes to the tar path of the extractor
// (through Extract, so detection, staging and the final move are
// covered) and checks that nothing is ever created or changed outside the
// target directory.
func FuzzExtractTar(f *testing.F) {
	for _, data := range maliciousTars(f) {
		f.Add(data, uint8(1))
	}
	f.Add(makeTar(f, sampleTree), uint8(0))
	f.Add(makeTar(f, sampleTree), uint8(2))
	f.Add(gz(f, makeTar(f, sampleTree)), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, strip uint8) {
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		os.Mkdir(outside, 0o755)
		os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644)
		arch := filepath.Join(base, "in.tar")
		os.WriteFile(arch, data, 0o644)
		dest := filepath.Join(base, "a", "b", "dest")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		Extract(ctx, arch, dest, int(strip%4), nil)
		entries, _ := os.ReadDir(base)
		for _, e := range entries {
			if n := e.Name(); n != "outside" && n != "in.tar" && n != "a" {
				t.Fatalf("created %s outside the target", n)
			}
		}
		if got := listTree(t, outside); !slices.Equal(got, []string{"secret -rw-r--r-- secret"}) {
			t.Fatalf("outside changed: %q", got)
		}
		a, _ := os.ReadDir(filepath.Join(base, "a"))
		b, _ := os.ReadDir(filepath.Join(base, "a", "b"))
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("created entries beside the target: %v %v", a, b)
		}
		os.Chmod(dest, 0o755)
		filepath.WalkDir(dest, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}
