package install

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
)

// record is what the installed database keeps of one package.
type record struct {
	info    *apk.PackageInfo
	dirs    []*dirRecord
	byDir   map[string]*dirRecord
	scripts map[string][]byte // ".post-install" -> body
}

type dirRecord struct {
	name       string // no leading or trailing slash; "" is the root
	uid, gid   int
	mode       int64
	hasMode    bool
	files      []fileRecord
	xattrsHash []byte
}

type fileRecord struct {
	name     string
	uid, gid int
	mode     int64
	sha1     []byte
}

func newRecord(info *apk.PackageInfo) *record {
	return &record{info: info, byDir: map[string]*dirRecord{}, scripts: map[string][]byte{}}
}

func (r *record) dir(name string) *dirRecord {
	if d, ok := r.byDir[name]; ok {
		return d
	}
	d := &dirRecord{name: name, mode: 0o755}
	r.byDir[name] = d
	r.dirs = append(r.dirs, d)
	return d
}

// add records one data entry of the package.
func (r *record) add(e apk.Entry, checksums map[string][]byte) {
	name := strings.Trim(e.Name, "/")
	switch e.Type {
	case tar.TypeDir:
		d := r.dir(name)
		d.uid, d.gid, d.mode, d.hasMode = e.UID, e.GID, e.Mode&0o7777, true
		return
	}
	dir, base := path.Split(name)
	sum := e.SHA1
	if sum == nil && e.Type == tar.TypeLink {
		sum = checksums[strings.Trim(e.Linkname, "/")]
	}
	if sum != nil {
		checksums[name] = sum
	}
	mode := e.Mode & 0o7777
	if e.Type == tar.TypeSymlink {
		mode = 0o777
	}
	d := r.dir(strings.Trim(dir, "/"))
	d.files = append(d.files, fileRecord{name: base, uid: e.UID, gid: e.GID, mode: mode, sha1: sum})
}

// drop removes the file name (a full path) from the record: another
// package that replaces this one now owns it.
func (r *record) drop(name string) {
	dir, base := path.Split(name)
	d, ok := r.byDir[strings.Trim(dir, "/")]
	if !ok {
		return
	}
	for i, f := range d.files {
		if f.name == base {
			d.files = append(d.files[:i], d.files[i+1:]...)
			return
		}
	}
}

// q1 renders a SHA-1 digest the way apk stores it: "Q1" + base64.
func q1(sum []byte) string { return "Q1" + base64.StdEncoding.EncodeToString(sum) }

// installedText renders lib/apk/db/installed for recs, one record each:
// the index lines (as apk-tools writes them, with the index writer), then
// r:, q: and the file list, every record followed by a blank line.
func installedText(recs []*record) ([]byte, error) {
	var b bytes.Buffer
	var head []byte
	for _, r := range recs {
		var err error
		if head, err = index.AppendHeader(head[:0], r.info); err != nil {
			return nil, fmt.Errorf("installed database: %w", err)
		}
		b.Write(head)
		if len(r.info.Replaces) > 0 {
			b.WriteString("r:" + strings.Join(r.info.Replaces, " ") + "\n")
		}
		if r.info.ReplacesPriority != 0 {
			b.WriteString("q:" + strconv.FormatUint(r.info.ReplacesPriority, 10) + "\n")
		}
		for _, d := range r.dirs {
			b.WriteString("F:" + d.name + "\n")
			if d.hasMode && (d.uid != 0 || d.gid != 0 || d.mode != 0o755) {
				fmt.Fprintf(&b, "M:%d:%d:%o\n", d.uid, d.gid, d.mode)
			}
			for _, f := range d.files {
				b.WriteString("R:" + f.name + "\n")
				if f.uid != 0 || f.gid != 0 || f.mode != 0o644 {
					fmt.Fprintf(&b, "a:%d:%d:%o\n", f.uid, f.gid, f.mode)
				}
				if f.sha1 != nil {
					b.WriteString("Z:" + q1(f.sha1) + "\n")
				}
			}
		}
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// scriptNames are the control entries apk keeps in scripts.tar.
var scriptNames = []string{".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade", ".pre-deinstall", ".post-deinstall", ".trigger"}

// scriptsTar renders lib/apk/db/scripts.tar: one entry per script named
// <name>-<version>.Q1<base64 C>.<type>, mode 0755, GNU ustar, full trailer.
func scriptsTar(recs []*record) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, r := range recs {
		types := make([]string, 0, len(r.scripts))
		for t := range r.scripts {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			body := r.scripts[t]
			hdr := &tar.Header{
				Name:     r.info.Name + "-" + r.info.Version + "." + q1(r.info.Checksum) + t,
				Mode:     0o755,
				Size:     int64(len(body)),
				ModTime:  time.Unix(r.info.BuildDate, 0),
				Typeflag: tar.TypeReg,
				Uname:    "root",
				Gname:    "root",
				Format:   tar.FormatGNU,
			}
			if err := tw.WriteHeader(hdr); err != nil {
				return nil, fmt.Errorf("scripts.tar: %s: %w", hdr.Name, err)
			}
			if _, err := tw.Write(body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// triggersText renders lib/apk/db/triggers: "Q1<C> glob glob…" per package
// that has a .trigger script and trigger paths.
func triggersText(recs []*record) []byte {
	var b bytes.Buffer
	for _, r := range recs {
		if _, ok := r.scripts[".trigger"]; !ok || len(r.info.Triggers) == 0 {
			continue
		}
		b.WriteString(q1(r.info.Checksum) + " " + strings.Join(r.info.Triggers, " ") + "\n")
	}
	return b.Bytes()
}
