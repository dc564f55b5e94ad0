package apk

import (
	"archive/tar"
	"bytes"
	"fmt"
	"sort"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/keys"
)

// segmentFile is one entry of a signature or control segment.
type segmentFile struct {
	name string
	mode int64
	data []byte
}

// segmentMember renders entries as one gzip member holding a tar segment
// without the end-of-archive blocks (apk-tools reads the members as one
// tar stream, so only the last segment may end it). Entries are owned by
// 0/0 root/root with the given mtime.
func segmentMember(files []segmentFile, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	// A pooled writer: a new one clears most of a megabyte, and a
	// package has three members to compress.
	zw := smallGzips.Get().(*gzip.Writer)
	defer smallGzips.Put(zw)
	zw.Reset(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range files {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)),
			Uname: "root", Gname: "root", ModTime: mtime,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if err := tw.Flush(); err != nil { // Flush pads the last entry; no Close: no trailer
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// controlMember renders the control segment: .PKGINFO first, then the
// scripts (0755), then the extra control files (0644), each group sorted.
func controlMember(info *PackageInfo, scripts, extra map[string][]byte, mtime time.Time) ([]byte, error) {
	files := []segmentFile{{name: ".PKGINFO", mode: 0o644, data: info.MarshalPKGINFO()}}
	for _, name := range sortedKeys(scripts) {
		files = append(files, segmentFile{name: name, mode: 0o755, data: scripts[name]})
	}
	for _, name := range sortedKeys(extra) {
		files = append(files, segmentFile{name: name, mode: 0o644, data: extra[name]})
	}
	return segmentMember(files, mtime)
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// signatureMember signs the compressed control member and renders the
// signature segment ".SIGN.<TYPE>.<name>". PKCS#1 v1.5 is deterministic,
// so the same key and control give the same bytes.
func signatureMember(control []byte, s *keys.Signer, mtime time.Time) ([]byte, error) {
	typ, h, v, err := s.SignData(control)
	if err != nil {
		return nil, err
	}
	sig := Signature{Type: typ, KeyName: s.Name, Hash: h, Value: v}
	return segmentMember([]segmentFile{{name: sig.EntryName(), mode: 0o644, data: sig.Value}}, mtime)
}
