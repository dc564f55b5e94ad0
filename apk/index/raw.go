package index

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
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
// new packages are rendered (and checked) as WriteText does. A record
// replaces the last one of the same name and version.
func mergeRaw(recs []rawRecord, pkgs []*apk.PackageInfo) ([]rawRecord, error) {
	news, err := renderRecords(pkgs)
	if err != nil {
		return nil, err
	}
	return mergeRecords(recs, news), nil
}

// renderRecords renders the packages that are not nil, in order.
func renderRecords(pkgs []*apk.PackageInfo) ([]rawRecord, error) {
	var news []rawRecord
	for _, p := range pkgs {
		if p == nil {
			continue
		}
		r, err := renderRecord(p)
		if err != nil {
			return nil, err
		}
		news = append(news, r)
	}
	return news, nil
}

// renderRecord renders p as a raw record, as WriteText would.
func renderRecord(p *apk.PackageInfo) (rawRecord, error) {
	b, err := appendRecord(nil, p)
	if err != nil {
		return rawRecord{}, err
	}
	return rawRecord{key: keyOf(p), text: string(b[:len(b)-1])}, nil
}

// mergeRecords merges rendered records into recs (see mergeRaw).
func mergeRecords(recs, news []rawRecord) []rawRecord {
	if slices.IsSortedFunc(recs, compareRecords) {
		return mergeSorted(recs, news)
	}
	return mergeGeneral(recs, news)
}

// mergeGeneral replaces or appends news by name and version, then sorts.
func mergeGeneral(recs, news []rawRecord) []rawRecord {
	type key struct{ name, version string }
	at := make(map[key]int, len(recs)+len(news))
	for i, r := range recs {
		at[key{r.key.name, r.key.version}] = i
	}
	for _, r := range news {
		k := key{r.key.name, r.key.version}
		if i, ok := at[k]; ok {
			recs[i] = r
			continue
		}
		at[k] = len(recs)
		recs = append(recs, r)
	}
	slices.SortStableFunc(recs, compareRecords)
	return recs
}

func compareRecords(a, b rawRecord) int { return compareKeys(&a.key, &b.key) }

// mergeSorted gives what the map-and-stable-sort path of mergeRaw gives
// when recs is already sorted (as every index pestle writes is), in time
// linear in len(recs): the replaced and new records are sorted on their
// own, ties broken by where the general path would have put them, and
// merged into the untouched ones.
func mergeSorted(recs, news []rawRecord) []rawRecord {
	if len(news) == 0 {
		return recs
	}
	type change struct {
		at int // index in recs, or len(recs)+j for the j-th appended record
		r  rawRecord
	}
	var changes []change
	for _, r := range news {
		at := -1
		for j := len(changes) - 1; j >= 0 && at < 0; j-- {
			if changes[j].at >= len(recs) && sameNameVersion(changes[j].r, r) {
				at = j
			}
		}
		if at >= 0 {
			changes[at].r = r
			continue
		}
		// The last record of the same name and version: they are adjacent.
		i, _ := slices.BinarySearchFunc(recs, r, func(e, t rawRecord) int {
			if sameNameVersion(e, t) {
				return -1
			}
			return compareKeys(&e.key, &t.key)
		})
		if i > 0 && sameNameVersion(recs[i-1], r) {
			replaced := false
			for j := range changes {
				if changes[j].at == i-1 {
					changes[j].r, replaced = r, true
				}
			}
			if !replaced {
				changes = append(changes, change{i - 1, r})
			}
			continue
		}
		changes = append(changes, change{len(recs) + len(changes), r})
	}
	slices.SortStableFunc(changes, func(a, b change) int {
		if c := compareRecords(a.r, b.r); c != 0 {
			return c
		}
		return a.at - b.at
	})
	gone := make(map[int]bool, len(changes))
	for _, c := range changes {
		if c.at < len(recs) {
			gone[c.at] = true
		}
	}
	out := make([]rawRecord, 0, len(recs)+len(changes))
	k := 0
	for i, r := range recs {
		if gone[i] {
			continue
		}
		for k < len(changes) && (compareRecords(changes[k].r, r) < 0 ||
			compareRecords(changes[k].r, r) == 0 && changes[k].at < i) {
			out = append(out, changes[k].r)
			k++
		}
		out = append(out, r)
	}
	for _, c := range changes[k:] {
		out = append(out, c.r)
	}
	return out
}

func sameNameVersion(a, b rawRecord) bool {
	return a.key.name == b.key.name && a.key.version == b.key.version
}

// mergedText is APKINDEX text, either whole or as sorted records that
// are written out one by one, so a large index is not copied once more.
type mergedText struct {
	whole []byte
	recs  []rawRecord
}

// size is the length of the text in bytes.
func (t *mergedText) size() int {
	if t.recs == nil {
		return len(t.whole)
	}
	n := 0
	for _, r := range t.recs {
		n += len(r.text) + 1
	}
	return n
}

// records counts the records of the text.
func (t *mergedText) records() int {
	if t.recs != nil {
		return len(t.recs)
	}
	n := bytes.Count(t.whole, []byte("\nP:"))
	if bytes.HasPrefix(t.whole, []byte("P:")) {
		n++
	}
	return n
}

// writeTo writes the text to w, each record followed by its blank line.
func (t *mergedText) writeTo(w io.Writer) error {
	if t.recs == nil {
		_, err := w.Write(t.whole)
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	for _, r := range t.recs {
		bw.WriteString(r.text)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
