package index

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// Merging into an index that pestle wrote itself does not need to parse and
// re-render its thousands of records: each is already exactly what
// WriteText would write for it. rawRecords keeps such records as text with
// just the fields that order them, merges new packages in and sorts, giving
// the same bytes as ParseText + Merge + WriteText at a fraction of the cost.
// Text that is not in that canonical form takes the full path.

// recordKey holds the fields that order and identify a record.
type recordKey struct {
	name, version, arch string
	sum                 []byte
}

func keyOf(p *apk.PackageInfo) recordKey {
	return recordKey{p.Name, p.Version, p.Arch, p.Checksum}
}

// compareKeys orders by name (ASCII case-insensitive, then exact), then
// version, and, to stay deterministic, by arch and checksum.
func compareKeys(a, b *recordKey) int {
	if c := foldCompare(a.name, b.name); c != 0 {
		return c
	}
	if c := strings.Compare(a.name, b.name); c != 0 {
		return c
	}
	if a.version != b.version {
		if c := version.Compare(a.version, b.version); c != 0 {
			return c
		}
		if c := strings.Compare(a.version, b.version); c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.arch, b.arch); c != 0 {
		return c
	}
	return bytes.Compare(a.sum, b.sum)
}

// rawRecord is one record in canonical form: its lines, each ending in
// "\n", without the blank line that follows.
type rawRecord struct {
	key  recordKey
	text string
}

// canonicalOrder is the field order of WriteText.
const canonicalOrder = "CPVASITULomtckDpi"

// required are the fields WriteText always writes.
const required = 1<<0 | 1<<1 | 1<<2 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8

// scanCanonical splits APKINDEX text into records and reports whether every
// one is exactly what WriteText would write for it. It allocates only the
// records and their checksums: names and versions are slices of text.
func scanCanonical(text string) ([]rawRecord, bool) {
	recs := make([]rawRecord, 0, len(text)/256+1)
	sums := make([]byte, 0, 20*cap(recs))
	var cur rawRecord
	start, last, seen := -1, -1, 0
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			return nil, false // the last line lacks its "\n"
		}
		line := text[i : i+j]
		next := i + j + 1
		if len(line) < 2 {
			if start >= 0 {
				if seen&required != required {
					return nil, false
				}
				cur.text = text[start:i]
				recs = append(recs, cur)
				cur, start, last, seen = rawRecord{}, -1, -1, 0
			}
			i = next
			continue
		}
		if line[1] != ':' {
			return nil, false
		}
		pos := strings.IndexByte(canonicalOrder, line[0])
		if pos <= last {
			return nil, false // unknown, repeated or out of order
		}
		if start < 0 {
			start = i
		}
		last, seen = pos, seen|1<<pos
		v := line[2:]
		ok := true
		switch line[0] {
		case 'C':
			var sum []byte
			sum, ok = canonicalSum(v, &sums)
			cur.key.sum = sum
		case 'P':
			cur.key.name, ok = v, v != ""
		case 'V':
			cur.key.version, ok = v, v != ""
		case 'A':
			cur.key.arch, ok = v, v != ""
		case 'o', 'm', 'c':
			ok = v != ""
		case 'S', 't':
			ok = canonicalNum(v, 63, line[0] == 't')
		case 'I', 'k':
			ok = canonicalNum(v, 64, line[0] == 'k')
		case 'D', 'p', 'i':
			ok = v != "" && v[0] != ' ' && v[len(v)-1] != ' ' && !strings.Contains(v, "  ")
		}
		if !ok {
			return nil, false
		}
		i = next
	}
	if start >= 0 {
		return nil, false // the last record lacks its blank line
	}
	return recs, true
}

// canonicalSum decodes a Q1/Q2 checksum written in canonical base64.
func canonicalSum(v string, slab *[]byte) ([]byte, bool) {
	var want int
	switch {
	case len(v) == 30 && v[:2] == "Q1":
		want = 20
	case len(v) == 46 && v[:2] == "Q2":
		want = 32
	default:
		return nil, false
	}
	var buf [33]byte
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(v[2:]))
	if err != nil || n != want {
		return nil, false
	}
	at := len(*slab)
	*slab = append(*slab, buf[:n]...)
	return (*slab)[at : at+n : at+n], true
}

// canonicalNum reports whether v is a number as WriteText writes it: plain
// digits, no leading zero, within bits bits, and not 0 when nonZero.
func canonicalNum(v string, bits int, nonZero bool) bool {
	if v == "" || (len(v) > 1 && v[0] == '0') || (nonZero && v == "0") {
		return false
	}
	_, err := parseUint([]byte(v), bits)
	return err == nil
}

// mergeRaw is Index.Merge over raw records, then the sort of WriteText;
// new packages are rendered (and checked) as WriteText does.
func mergeRaw(recs []rawRecord, pkgs []*apk.PackageInfo) ([]rawRecord, error) {
	type key struct{ name, version string }
	at := make(map[key]int, len(recs)+len(pkgs))
	for i, r := range recs {
		at[key{r.key.name, r.key.version}] = i
	}
	for _, p := range pkgs {
		if p == nil {
			continue
		}
		b, err := appendRecord(nil, p)
		if err != nil {
			return nil, err
		}
		r := rawRecord{key: keyOf(p), text: string(b[:len(b)-1])}
		k := key{p.Name, p.Version}
		if i, ok := at[k]; ok {
			recs[i] = r
			continue
		}
		at[k] = len(recs)
		recs = append(recs, r)
	}
	slices.SortStableFunc(recs, func(a, b rawRecord) int { return compareKeys(&a.key, &b.key) })
	return recs, nil
}

// joinRecords renders sorted records as APKINDEX text.
func joinRecords(recs []rawRecord) []byte {
	n := 0
	for _, r := range recs {
		n += len(r.text) + 1
	}
	b := make([]byte, 0, n)
	for _, r := range recs {
		b = append(b, r.text...)
		b = append(b, '\n')
	}
	return b
}
