package index

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/flate"

	"github.com/pestle-dev/pestle/apk"
)

// errNotFast means the fast merge cannot be trusted on this index; the
// caller takes the full path.
var errNotFast = errors.New("segmented merge not possible")

func notFast(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errNotFast}, args...)...)
}

// fastResult is a merged index member as pieces, with its layout.
type fastResult struct {
	parts   [][]byte
	lay     *layout
	records int
}

// span is a run of text segments [lo, hi] that a merge inflates and
// rewrites, with the new records that fall into it.
type span struct {
	lo, hi int
	news   []rawRecord
}

// fastMerge merges pkgs into the index member unsigned, laid out as lay
// says (lay.size and lay.sum already match unsigned): it inflates and
// recompresses only the text segments where the new records go, and
// copies the others. The records out are those mergeRaw gives on the
// whole text. description replaces the existing one when not empty.
// Anything that does not match the layout gives errNotFast.
func fastMerge(unsigned []byte, lay *layout, pkgs []*apk.PackageInfo, description string, mtime time.Time) (*fastResult, error) {
	if len(lay.text) == 0 {
		return nil, notFast("no text segments")
	}
	if !bytes.Equal(unsigned[:len(gzipHeader)], gzipHeader) ||
		!bytes.Equal(unsigned[len(unsigned)-8:], gzipTrailer(lay.all()...)) {
		return nil, notFast("gzip header or trailer")
	}
	in := newInflater(unsigned, lay)
	oldDesc, err := in.checkEnds()
	if err != nil {
		return nil, err
	}
	if description == "" {
		description = oldDesc
	}
	spans, err := planSpans(lay, pkgs)
	if err != nil {
		return nil, err
	}
	var text [][]byte
	var segs []segment
	next := 0
	for _, sp := range spans {
		if err := in.checkRun(next, sp.lo-1); err != nil {
			return nil, err
		}
		for i := next; i < sp.lo; i++ {
			text = append(text, in.raw(i))
		}
		segs = append(segs, lay.text[next:sp.lo]...)
		recs, err := in.records(sp.lo, sp.hi)
		if err != nil {
			return nil, err
		}
		merged := mergeRecords(recs, sp.news)
		c, s := compressChunks(chunkRecords(merged))
		text, segs = append(text, c...), append(segs, s...)
		next = sp.hi + 1
	}
	if err := in.checkRun(next, len(lay.text)-1); err != nil {
		return nil, err
	}
	for i := next; i < len(lay.text); i++ {
		text = append(text, in.raw(i))
	}
	segs = append(segs, lay.text[next:]...)

	nl := &layout{text: segs}
	fw := getDeflater()
	defer putDeflater(fw)
	size := nl.textLen()
	hdr, hseg, err := headerSegment(fw, size, mtime)
	if err != nil {
		return nil, err
	}
	final, fseg, err := finalSegment(fw, size, description, mtime)
	if err != nil {
		return nil, err
	}
	nl.hdr, nl.final = hseg, fseg
	parts := memberParts(hdr, text, final, gzipTrailer(nl.all()...))
	h := sha256.New()
	for _, p := range parts {
		nl.size += int64(len(p))
		h.Write(p)
	}
	h.Sum(nl.sum[:0])
	return &fastResult{parts: parts, lay: nl, records: nl.records()}, nil
}

// planSpans renders the new records and finds the text segments each
// touches: those that may hold a record of the same name and version
// (which it replaces) and the one it sorts into. Overlapping spans are
// joined; the new records keep their order within a span.
func planSpans(lay *layout, pkgs []*apk.PackageInfo) ([]span, error) {
	news, err := renderRecords(pkgs)
	if err != nil {
		return nil, err
	}
	var spans []span
	for _, r := range news {
		// lo: the first segment whose last record is not before r's name
		// and version (the last segment if none); then on while the next
		// segment starts with that name and version.
		n := len(lay.text)
		lo := sort.Search(n, func(i int) bool { return compareNameVersion(&lay.text[i].last, &r.key) >= 0 })
		lo = min(lo, n-1)
		hi := lo
		for hi+1 < n && compareNameVersion(&lay.text[hi+1].first, &r.key) <= 0 {
			hi++
		}
		spans = append(spans, span{lo: lo, hi: hi, news: []rawRecord{r}})
	}
	return joinSpans(spans), nil
}

// joinSpans sorts spans and joins those that overlap, keeping the order
// of the new records.
func joinSpans(spans []span) []span {
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return spans[a].lo - spans[b].lo })
	var out []span
	var members [][]int
	for _, i := range order {
		s := spans[i]
		if k := len(out) - 1; k >= 0 && s.lo <= out[k].hi {
			out[k].hi = max(out[k].hi, s.hi)
			members[k] = append(members[k], i)
			continue
		}
		out = append(out, span{lo: s.lo, hi: s.hi})
		members = append(members, []int{i})
	}
	for k := range out {
		slices.Sort(members[k]) // back to the order of pkgs
		for _, i := range members[k] {
			out[k].news = append(out[k].news, spans[i].news...)
		}
	}
	return out
}

// compareNameVersion orders keys by name and version only, as compareKeys
// does before arch and checksum.
func compareNameVersion(a, b *recordKey) int {
	x, y := *a, *b
	x.arch, x.sum, y.arch, y.sum = "", nil, "", nil
	return compareKeys(&x, &y)
}

// inflater reads single segments of an index member.
type inflater struct {
	data []byte
	lay  *layout
	offs []int64 // start of each text segment
	fr   io.ReadCloser
	buf  bytes.Buffer
}

func newInflater(data []byte, lay *layout) *inflater {
	in := &inflater{data: data, lay: lay, offs: make([]int64, len(lay.text))}
	off := int64(len(gzipHeader)) + lay.hdr.clen
	for i, s := range lay.text {
		in.offs[i] = off
		off += s.clen
	}
	return in
}

// raw returns the compressed bytes of text segment i.
func (in *inflater) raw(i int) []byte {
	return in.data[in.offs[i] : in.offs[i]+in.lay.text[i].clen]
}

// inflate inflates the segment at off on its own, checks its length and
// CRC, and that it ends exactly where the layout says: with the stream's
// final block (last) or on a block boundary, shown by appending an empty
// final block. It returns the text, valid until the next call.
func (in *inflater) inflate(off int64, s *segment, last bool) ([]byte, error) {
	src := in.data[off : off+s.clen]
	if !last {
		src = append(src[:len(src):len(src)], 0x03, 0x00)
	}
	br := bytes.NewReader(src)
	if in.fr == nil {
		in.fr = flate.NewReader(br)
	} else if err := in.fr.(flate.Resetter).Reset(br, nil); err != nil {
		return nil, notFast("inflate: %v", err)
	}
	in.buf.Reset()
	in.buf.Grow(int(min(s.ulen, 1<<20)) + 1)
	n, err := io.Copy(&in.buf, io.LimitReader(in.fr, s.ulen+1))
	if err != nil || n != s.ulen || br.Len() != 0 {
		return nil, notFast("segment at %d does not inflate on its own to %d bytes", off, s.ulen)
	}
	if crc32.ChecksumIEEE(in.buf.Bytes()) != s.crc {
		return nil, notFast("segment at %d: CRC", off)
	}
	return in.buf.Bytes(), nil
}

// checkEnds checks the header and final segments and returns the
// DESCRIPTION.
func (in *inflater) checkEnds() (string, error) {
	lay := in.lay
	h, err := in.inflate(int64(len(gzipHeader)), &lay.hdr, false)
	if err != nil {
		return "", err
	}
	hdr, err := tar.NewReader(bytes.NewReader(h)).Next()
	if err != nil || hdr.Name != "APKINDEX" || hdr.Typeflag != tar.TypeReg || hdr.Size != lay.textLen() {
		return "", notFast("header segment is not the APKINDEX header of the text")
	}
	f, err := in.inflate(int64(len(in.data))-8-lay.final.clen, &lay.final, true)
	if err != nil {
		return "", err
	}
	pad := (512 - lay.textLen()%512) % 512
	if slices.ContainsFunc(f[:pad], func(c byte) bool { return c != 0 }) {
		return "", notFast("final segment padding")
	}
	tr := tar.NewReader(bytes.NewReader(f[pad:]))
	d, err := tr.Next()
	if err != nil || d.Name != "DESCRIPTION" || d.Size > maxDescription {
		return "", notFast("final segment is not the DESCRIPTION entry")
	}
	desc, err := io.ReadAll(tr)
	if err != nil {
		return "", notFast("DESCRIPTION: %v", err)
	}
	if _, err := tr.Next(); err != io.EOF {
		return "", notFast("final segment holds more than DESCRIPTION")
	}
	return string(desc), nil
}

// checkRun checks a run of text segments [a, b] that is copied as it is
// between rewritten parts: it must end on a block boundary, and its first
// 32 KiB (the reach of a back-reference) must inflate on their own.
func (in *inflater) checkRun(a, b int) error {
	if a > b {
		return nil
	}
	var n int64
	for i := a; i <= b && n < 32<<10; i++ {
		if _, err := in.inflate(in.offs[i], &in.lay.text[i], false); err != nil {
			return err
		}
		n += in.lay.text[i].ulen
	}
	if b > a {
		if _, err := in.inflate(in.offs[b], &in.lay.text[b], false); err != nil {
			return err
		}
	}
	return nil
}

// records inflates text segments [lo, hi] and splits them into canonical
// records, which must be those the layout describes.
func (in *inflater) records(lo, hi int) ([]rawRecord, error) {
	var sb strings.Builder
	for i := lo; i <= hi; i++ {
		t, err := in.inflate(in.offs[i], &in.lay.text[i], false)
		if err != nil {
			return nil, err
		}
		sb.Write(t)
	}
	recs, ok := scanCanonical(sb.String())
	if !ok {
		return nil, notFast("text segments %d-%d are not canonical", lo, hi)
	}
	want := 0
	for i := lo; i <= hi; i++ {
		want += in.lay.text[i].nrec
	}
	if len(recs) != want || compareKeys(&recs[0].key, &in.lay.text[lo].first) != 0 ||
		compareKeys(&recs[len(recs)-1].key, &in.lay.text[hi].last) != 0 ||
		!slices.IsSortedFunc(recs, compareRecords) {
		return nil, notFast("text segments %d-%d do not hold the records the sidecar names", lo, hi)
	}
	return recs, nil
}
