package apkocheck

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha1"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
)

// treeFS is what the tree checks need of an installed root: apko's memfs
// and a directory on disk both provide it.
type treeFS interface {
	Lstat(name string) (fs.FileInfo, error)
	Readlink(name string) (string, error)
	ReadFile(name string) ([]byte, error)
}

// osRoot is a directory on disk seen as a treeFS.
type osRoot string

func (r osRoot) p(name string) string                { return filepath.Join(string(r), filepath.FromSlash(name)) }
func (r osRoot) Lstat(n string) (fs.FileInfo, error) { return os.Lstat(r.p(n)) }
func (r osRoot) Readlink(n string) (string, error)   { return os.Readlink(r.p(n)) }
func (r osRoot) ReadFile(n string) ([]byte, error)   { return os.ReadFile(r.p(n)) }

// Which bits of a directory's mode checkTree compares.
const (
	dirFull = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky
	// apko creates directories with MkdirAll(path, mode.Perm()): no
	// sticky, setuid or setgid bit.
	dirPerm = fs.ModePerm
	// on disk apko's MkdirAll is subject to the umask.
	dirNone = fs.FileMode(0)
)

// checkTree checks that every node of the samples is in root with its
// type, mode, content and link target. Directory modes are compared
// under dirMask.
func checkTree(t *testing.T, where string, root treeFS, samples []*Sample, dirMask fs.FileMode) {
	t.Helper()
	for _, s := range samples {
		for _, n := range s.Tree {
			fi, err := root.Lstat(n.Path)
			if err != nil {
				t.Errorf("%s: %s of %s is missing: %v", where, n.Path, s.Info.Name, err)
				continue
			}
			switch n.Kind {
			case Dir:
				if !fi.IsDir() {
					t.Errorf("%s: %s is %v, want a directory", where, n.Path, fi.Mode().Type())
				} else if fi.Mode()&dirMask != n.Mode&dirMask {
					t.Errorf("%s: directory %s has mode %v, want %v", where, n.Path, fi.Mode()&dirMask, n.Mode&dirMask)
				}
			case File, Hard:
				want := &n
				if n.Kind == Hard {
					want = s.Node(n.Target)
				}
				if !fi.Mode().IsRegular() {
					t.Errorf("%s: %s is %v, want a regular file", where, n.Path, fi.Mode().Type())
					continue
				}
				if got := fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky); got != want.Mode {
					t.Errorf("%s: file %s has mode %v, want %v", where, n.Path, got, want.Mode)
				}
				b, err := root.ReadFile(n.Path)
				if err != nil {
					t.Errorf("%s: %s: %v", where, n.Path, err)
				} else if !bytes.Equal(b, want.Body) {
					t.Errorf("%s: %s has %d bytes that differ from the packed %d", where, n.Path, len(b), len(want.Body))
				}
			case Symlink:
				// Readlink, not the Lstat mode: apko's memfs Lstat never
				// reports fs.ModeSymlink.
				if got, err := root.Readlink(n.Path); err != nil || got != n.Target {
					t.Errorf("%s: %s -> %q (%v), want -> %q", where, n.Path, got, err, n.Target)
				}
			}
		}
	}
}

// dbEntry is one path of an installed-database record as apko parses it.
type dbEntry struct {
	dir      bool
	mode     int64
	uid, gid int
}

func (e dbEntry) String() string {
	kind := "file"
	if e.dir {
		kind = "dir"
	}
	return fmt.Sprintf("%s %d:%d:%o", kind, e.uid, e.gid, e.mode)
}

// parsedPaths maps each path apko's parser found for a package to whether
// it is a directory (the only reliable part of its entries, see rawDB).
func parsedPaths(p *apkoapk.InstalledPackage) map[string]bool {
	out := map[string]bool{}
	for _, h := range p.Files {
		out[strings.Trim(h.Name, "/")] = h.Typeflag == tar.TypeDir
	}
	return out
}

// pathsOf is parsedPaths for entries.
func pathsOf(m map[string]dbEntry) map[string]bool {
	out := map[string]bool{}
	for k, e := range m {
		out[k] = e.dir
	}
	return out
}

// sampleEntries is what an installed database should list for s.
func sampleEntries(s *Sample) map[string]dbEntry {
	out := map[string]dbEntry{}
	for _, n := range s.Tree {
		e := dbEntry{}
		switch n.Kind {
		case Dir:
			e.dir, e.mode = true, int64(tarBits(n.Mode))
		case File:
			e.mode = int64(tarBits(n.Mode))
		case Hard:
			e.mode = int64(tarBits(s.Node(n.Target).Mode))
		case Symlink:
			e.mode = 0o777
		}
		out[n.Path] = e
	}
	return out
}

// tarBits converts m to the octal mode bits of a tar header.
func tarBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// diffEntries reports the paths on which got and want differ.
func diffEntries(t *testing.T, where, pkg string, got, want map[string]dbEntry) {
	t.Helper()
	var names []string
	for n := range want {
		names = append(names, n)
	}
	for n := range got {
		if _, ok := want[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		g, gok := got[n]
		w, wok := want[n]
		switch {
		case !gok:
			t.Errorf("%s: %s: %s (%v) is not listed", where, pkg, n, w)
		case !wok:
			t.Errorf("%s: %s: %s (%v) is listed but was not packed", where, pkg, n, g)
		case g != w:
			t.Errorf("%s: %s: %s is listed as %v, want %v", where, pkg, n, g, w)
		}
	}
}

// rawDB is an installed database text read line by line, independently
// of apko's parser (which drops a: and M: values: it appends a copy of each
// entry before applying them).
type rawDB struct {
	entries map[string]map[string]dbEntry // package -> path -> entry
	z       map[string]string             // "package/path" -> Z: value
}

func parseRawDB(t *testing.T, where string, db []byte) rawDB {
	t.Helper()
	out := rawDB{entries: map[string]map[string]dbEntry{}, z: map[string]string{}}
	var pkg, dir, file string
	perms := func(v string) (int, int, int64) {
		var uid, gid int
		var mode int64
		if _, err := fmt.Sscanf(v, "%d:%d:%o", &uid, &gid, &mode); err != nil {
			t.Errorf("%s: %s: bad permission line %q: %v", where, pkg, v, err)
		}
		return uid, gid, mode
	}
	sc := bufio.NewScanner(bytes.NewReader(db))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		switch k {
		case "":
			pkg, dir, file = "", "", ""
		case "P":
			pkg = v
			out.entries[pkg] = map[string]dbEntry{}
		case "F":
			dir, file = v, ""
			if v != "" {
				out.entries[pkg][v] = dbEntry{dir: true, mode: 0o755}
			}
		case "M":
			e := out.entries[pkg][dir]
			e.uid, e.gid, e.mode = perms(v)
			out.entries[pkg][dir] = e
		case "R":
			file = path.Join(dir, v)
			out.entries[pkg][file] = dbEntry{mode: 0o644}
		case "a":
			e := out.entries[pkg][file]
			e.uid, e.gid, e.mode = perms(v)
			out.entries[pkg][file] = e
		case "Z":
			if file == "" {
				t.Errorf("%s: Z:%s outside a file entry of %s", where, v, pkg)
			}
			out.z[pkg+"/"+file] = v
		}
	}
	return out
}

// diffPaths reports the paths apko's parser found that differ from want.
func diffPaths(t *testing.T, where, pkg string, got, want map[string]bool) {
	t.Helper()
	for _, n := range slices.Sorted(maps.Keys(want)) {
		if d, ok := got[n]; !ok {
			t.Errorf("%s: %s: apko's parser does not list %s", where, pkg, n)
		} else if d != want[n] {
			t.Errorf("%s: %s: apko's parser lists %s with directory=%v, want %v", where, pkg, n, d, want[n])
		}
	}
	for _, n := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[n]; !ok {
			t.Errorf("%s: %s: apko's parser lists %s, which was not packed", where, pkg, n)
		}
	}
}

// sampleZ is the Z: value each packed path should carry (regular files:
// SHA-1 of the content; symlinks: of the target; hard links: of the
// target's content), and which of those paths are hard links.
func sampleZ(samples []*Sample) (map[string]string, map[string]bool) {
	out, hard := map[string]string{}, map[string]bool{}
	q1 := func(b []byte) string { s := sha1.Sum(b); return "Q1" + b64(s[:]) }
	for _, s := range samples {
		for _, n := range s.Tree {
			switch n.Kind {
			case File:
				out[s.Info.Name+"/"+n.Path] = q1(n.Body)
			case Hard:
				out[s.Info.Name+"/"+n.Path] = q1(s.Node(n.Target).Body)
				hard[s.Info.Name+"/"+n.Path] = true
			case Symlink:
				out[s.Info.Name+"/"+n.Path] = q1([]byte(n.Target))
			}
		}
	}
	return out, hard
}

// tarMembers reads a tar archive (scripts.tar) into name -> content.
func tarMembers(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("scripts.tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[hdr.Name] = string(body)
	}
}
