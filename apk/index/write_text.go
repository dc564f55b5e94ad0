package index

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/pestle-dev/pestle/apk"
)

// WriteText writes the APKINDEX text of ix: records sorted by name (ASCII
// case-insensitive, then case-sensitive) then ascending version, fields in
// apk-tools order (C P V A S I T U L o m t c k D p i), T:, U: and L: always
// present, each record followed by a blank line. ix.Packages is not
// reordered. A record that would not read back the same (no checksum, empty
// name or version, a newline in a value, a space inside a dependency token)
// is refused with an error naming the package and field.
func (ix *Index) WriteText(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var buf []byte
	for _, p := range sorted(ix.Packages) {
		var err error
		if buf, err = appendRecord(buf[:0], p); err != nil {
			return err
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// sorted returns the packages in index order, leaving pkgs untouched.
// Records that compare equal keep their relative order.
func sorted(pkgs []*apk.PackageInfo) []*apk.PackageInfo {
	out := slices.Clone(pkgs)
	slices.SortStableFunc(out, comparePackages)
	return out
}

// comparePackages orders records as compareKeys does.
func comparePackages(a, b *apk.PackageInfo) int {
	ka, kb := keyOf(a), keyOf(b)
	return compareKeys(&ka, &kb)
}

func foldCompare(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// AppendHeader appends the index lines of p (C: to i:, in apk-tools' order,
// each ending in a newline, no blank line after them) to b: what an
// APKINDEX record and an installed-database record (lib/apk/db/installed)
// both begin with. It refuses what WriteText refuses.
func AppendHeader(b []byte, p *apk.PackageInfo) ([]byte, error) {
	b, err := appendRecord(b, p)
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// appendRecord renders one record, blank line included. It allocates
// nothing unless the record is refused.
func appendRecord(b []byte, p *apk.PackageInfo) ([]byte, error) {
	if err := checkRecord(p); err != nil {
		return nil, err
	}
	b = append(b, "C:Q"...)
	if len(p.Checksum) == 20 {
		b = append(b, '1')
	} else {
		b = append(b, '2')
	}
	b = base64.StdEncoding.AppendEncode(b, p.Checksum)
	b = appendField(b, 'P', p.Name)
	b = appendField(b, 'V', p.Version)
	if p.Arch != "" {
		b = appendField(b, 'A', p.Arch)
	}
	b = appendNum(b, 'S', uint64(p.FileSize))
	b = appendNum(b, 'I', p.Size)
	b = appendField(b, 'T', p.Description)
	b = appendField(b, 'U', p.URL)
	b = appendField(b, 'L', p.License)
	if p.Origin != "" {
		b = appendField(b, 'o', p.Origin)
	}
	if p.Maintainer != "" {
		b = appendField(b, 'm', p.Maintainer)
	}
	if p.BuildDate != 0 {
		b = appendNum(b, 't', uint64(p.BuildDate))
	}
	if p.Commit != "" {
		b = appendField(b, 'c', p.Commit)
	}
	if p.ProviderPriority != 0 {
		b = appendNum(b, 'k', p.ProviderPriority)
	}
	b = appendList(b, 'D', p.Depends)
	b = appendList(b, 'p', p.Provides)
	b = appendList(b, 'i', p.InstallIf)
	return append(b, '\n', '\n'), nil
}

func appendField(b []byte, field byte, val string) []byte {
	b = append(b, '\n', field, ':')
	return append(b, val...)
}

func appendNum(b []byte, field byte, v uint64) []byte {
	b = append(b, '\n', field, ':')
	return strconv.AppendUint(b, v, 10)
}

func appendList(b []byte, field byte, toks []string) []byte {
	if len(toks) == 0 {
		return b
	}
	b = append(b, '\n', field, ':')
	for i, t := range toks {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, t...)
	}
	return b
}

// checkRecord refuses what would not read back the same: no or odd
// checksum, no name or version, a newline in a value, an empty token or
// one holding a space, negative numbers.
func checkRecord(p *apk.PackageInfo) error {
	id := func() string { return p.Name + "-" + p.Version }
	if p.Name == "" || p.Version == "" {
		return fmt.Errorf("index record %q: name (P:) and version (V:) are required", id())
	}
	if n := len(p.Checksum); n != 20 && n != 32 {
		return fmt.Errorf("package %s: field C: checksum has %d bytes, want 20 (SHA-1 of the control member); index packages read from their .apk files", id(), n)
	}
	if p.FileSize < 0 || p.BuildDate < 0 {
		return fmt.Errorf("package %s: negative file size (S:) or build date (t:)", id())
	}
	for _, f := range [...]struct {
		field byte
		val   string
	}{{'P', p.Name}, {'V', p.Version}, {'A', p.Arch}, {'T', p.Description}, {'U', p.URL},
		{'L', p.License}, {'o', p.Origin}, {'m', p.Maintainer}, {'c', p.Commit}} {
		if strings.IndexByte(f.val, '\n') >= 0 {
			return fmt.Errorf("package %s: field %c: value %q holds a newline, which would break the index", id(), f.field, clipS(f.val))
		}
	}
	for _, l := range [...]struct {
		field byte
		toks  []string
	}{{'D', p.Depends}, {'p', p.Provides}, {'i', p.InstallIf}} {
		for _, t := range l.toks {
			if t == "" || strings.ContainsAny(t, " \n") {
				return fmt.Errorf("package %s: field %c: dependency token %q is empty or holds a space or newline", id(), l.field, clipS(t))
			}
		}
	}
	return nil
}
