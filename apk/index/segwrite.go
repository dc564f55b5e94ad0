package index

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/flate"
	"github.com/pestle-dev/pestle/apk"
)

// The index member is one gzip member whose deflate stream is cut into
// segments, each compressed by a fresh compressor (no back-reference
// crosses a segment's start) and ended by a sync flush (an empty stored
// block, so the next segment starts on a byte boundary); the last one ends
// the stream. Any inflater reads the whole as an ordinary deflate stream.
// The segments are:
//
//	header  the APKINDEX tar header (512 bytes)
//	text    the APKINDEX text, whole records, about segmentText bytes each
//	final   the text's tar padding, the DESCRIPTION entry, end of archive
//
// A sidecar file (sidecar.go) records the layout, so that a merge
// recompresses only the text segments it changes (fastmerge.go).

// segmentText is the uncompressed size at which a text segment is cut.
const segmentText = 64 << 10

// gzipHeader starts the index member: deflate, no flags, no mtime, OS
// unknown.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// deflaters keeps compressors for reuse: one costs about a megabyte of
// tables to set up, far more than compressing a segment. A plain list
// rather than a sync.Pool, so that the one WarmUp readied on another
// goroutine (and processor) is the one the next merge gets.
var deflaters struct {
	sync.Mutex
	free []*flate.Writer
}

// getDeflater returns a compressor at indexLevel; putDeflater returns it.
func getDeflater() *flate.Writer {
	deflaters.Lock()
	defer deflaters.Unlock()
	if n := len(deflaters.free); n > 0 {
		fw := deflaters.free[n-1]
		deflaters.free = deflaters.free[:n-1]
		return fw
	}
	fw, _ := flate.NewWriter(nil, indexLevel) // the level is valid
	return fw
}

func putDeflater(fw *flate.Writer) {
	deflaters.Lock()
	defer deflaters.Unlock()
	if len(deflaters.free) < runtime.GOMAXPROCS(0) {
		deflaters.free = append(deflaters.free, fw)
	}
}

// WarmUp readies the compressor that the next index write or merge uses:
// allocated, and its tables touched once, so that their page faults
// (hundreds) are not taken while the repository's lock is held. A build
// calls it beside work that leaves a core idle; the bytes written do not
// depend on it.
func WarmUp() {
	fw := getDeflater()
	defer putDeflater(fw)
	fw.Reset(io.Discard)
	fw.Write(apk.WarmUpData())
	fw.Close()
}

// segment describes one compressed segment of the index member.
type segment struct {
	clen, ulen  int64 // compressed and uncompressed bytes
	crc         uint32
	nrec        int       // text segments: records held
	first, last recordKey // text segments: their first and last records
}

// layout describes an index member as segments, in order.
type layout struct {
	size  int64    // bytes of the member
	sum   [32]byte // SHA-256 of the member
	hdr   segment
	text  []segment
	final segment
	// noSidecar is set when the text is not in records, so no sidecar
	// can describe it.
	noSidecar bool
}

// textLen is the length of the APKINDEX text.
func (l *layout) textLen() int64 {
	var n int64
	for _, s := range l.text {
		n += s.ulen
	}
	return n
}

// records counts the records of the text.
func (l *layout) records() int {
	n := 0
	for _, s := range l.text {
		n += s.nrec
	}
	return n
}

// chunk is the text of one segment: records, or a slice of whole text.
type chunk struct {
	recs        []rawRecord
	text        []byte
	nrec        int
	first, last recordKey
}

// bytes returns the chunk's text, using buf for records.
func (c *chunk) bytes(buf []byte) []byte {
	if c.recs == nil {
		return c.text
	}
	buf = buf[:0]
	for _, r := range c.recs {
		buf = append(buf, r.text...)
		buf = append(buf, '\n')
	}
	return buf
}

// chunkRecords cuts sorted records into chunks of about segmentText bytes.
func chunkRecords(recs []rawRecord) []chunk {
	var out []chunk
	start, n := 0, 0
	for i, r := range recs {
		n += len(r.text) + 1
		if n >= segmentText || i == len(recs)-1 {
			c := recs[start : i+1]
			out = append(out, chunk{recs: c, nrec: len(c), first: c[0].key, last: c[len(c)-1].key})
			start, n = i+1, 0
		}
	}
	return out
}

// chunkText cuts canonical APKINDEX text (records each ending in a blank
// line) into chunks of whole records of about segmentText bytes.
func chunkText(text []byte) ([]chunk, bool) {
	var out []chunk
	for len(text) > 0 {
		end := len(text)
		if end > segmentText {
			i := bytes.Index(text[segmentText-2:], []byte("\n\n"))
			if i < 0 {
				return nil, false
			}
			end = segmentText + i
		}
		c := chunk{text: text[:end], nrec: bytes.Count(text[:end], []byte("\n\n"))}
		var ok1, ok2 bool
		c.first, ok1 = keyOfText(c.text)
		c.last, ok2 = keyOfText(c.text[lastRecord(c.text):])
		if !ok1 || !ok2 || c.nrec == 0 || !bytes.HasSuffix(c.text, []byte("\n\n")) {
			return nil, false
		}
		out = append(out, c)
		text = text[end:]
	}
	return out, true
}

// lastRecord returns the offset of the last record of text that ends in
// "\n\n".
func lastRecord(text []byte) int {
	i := bytes.LastIndex(text[:len(text)-2], []byte("\n\n"))
	if i < 0 {
		return 0
	}
	return i + 2
}

// keyOfText reads the key of the record text starts with from its C:, P:,
// V: and A: lines.
func keyOfText(text []byte) (recordKey, bool) {
	var k recordKey
	var slab []byte
	for len(text) > 1 && text[0] != '\n' {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		if len(line) < 2 || line[1] != ':' {
			return k, false
		}
		v := string(line[2:])
		switch line[0] {
		case 'C':
			sum, ok := canonicalSum(v, &slab)
			if !ok {
				return k, false
			}
			k.sum = sum
		case 'P':
			k.name = v
		case 'V':
			k.version = v
		case 'A':
			k.arch = v
		}
	}
	return k, k.name != "" && k.version != "" && k.sum != nil
}

// compressChunks compresses each chunk into its own segment, on every
// CPU when there are several; the bytes depend only on the chunks.
func compressChunks(chunks []chunk) ([][]byte, []segment) {
	out := make([][]byte, len(chunks))
	segs := make([]segment, len(chunks))
	var next atomic.Int64
	work := func() {
		fw := getDeflater()
		defer putDeflater(fw)
		var buf []byte
		for i := int(next.Add(1) - 1); i < len(chunks); i = int(next.Add(1) - 1) {
			c := &chunks[i]
			text := c.bytes(buf)
			if c.recs != nil {
				buf = text
			}
			var dst bytes.Buffer
			dst.Grow(len(text)/4 + 64)
			segs[i] = deflateSegment(fw, &dst, text, false)
			segs[i].nrec, segs[i].first, segs[i].last = c.nrec, c.first, c.last
			out[i] = dst.Bytes()
		}
	}
	if len(chunks) <= 2 {
		// A merge's few segments: here, with the compressor the rest of
		// the member reuses.
		work()
		return out, segs
	}
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunks)) {
		wg.Go(work)
	}
	wg.Wait()
	return out, segs
}

// deflateSegment compresses data into dst with a fresh compressor and
// ends it with a sync flush, or, when last, with the final block.
func deflateSegment(fw *flate.Writer, dst *bytes.Buffer, data []byte, last bool) segment {
	at := dst.Len()
	fw.Reset(dst)
	fw.Write(data) // a bytes.Buffer does not fail
	if last {
		fw.Close()
	} else {
		fw.Flush()
	}
	return segment{clen: int64(dst.Len() - at), ulen: int64(len(data)), crc: crc32.ChecksumIEEE(data)}
}

// headerSegment compresses the APKINDEX tar header for text of size bytes.
func headerSegment(fw *flate.Writer, size int64, mtime time.Time) ([]byte, segment, error) {
	var hdr bytes.Buffer
	if err := tar.NewWriter(&hdr).WriteHeader(entryHeader("APKINDEX", int(size), mtime)); err != nil {
		return nil, segment{}, err
	}
	var dst bytes.Buffer
	seg := deflateSegment(fw, &dst, hdr.Bytes(), false)
	return dst.Bytes(), seg, nil
}

// finalSegment compresses the padding of text of size bytes, the
// DESCRIPTION entry and the end-of-archive blocks, ending the stream.
func finalSegment(fw *flate.Writer, size int64, description string, mtime time.Time) ([]byte, segment, error) {
	var b bytes.Buffer
	b.Write(make([]byte, (512-size%512)%512))
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(entryHeader("DESCRIPTION", len(description), mtime)); err != nil {
		return nil, segment{}, err
	}
	if _, err := tw.Write([]byte(description)); err != nil {
		return nil, segment{}, err
	}
	if err := tw.Close(); err != nil {
		return nil, segment{}, err
	}
	var dst bytes.Buffer
	seg := deflateSegment(fw, &dst, b.Bytes(), true)
	return dst.Bytes(), seg, nil
}

// gzipTrailer returns the CRC-32 and size trailer of the member whose
// segments are segs, in order.
func gzipTrailer(segs ...segment) []byte {
	var crc uint32
	var n int64
	for _, s := range segs {
		crc = crc32Combine(crc, s.crc, s.ulen)
		n += s.ulen
	}
	return binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, crc), uint32(n))
}

// memberParts returns the member's byte pieces, in order, around the
// given text pieces.
func memberParts(hdr []byte, text [][]byte, final []byte, trailer []byte) [][]byte {
	parts := make([][]byte, 0, len(text)+4)
	parts = append(parts, gzipHeader, hdr)
	parts = append(parts, text...)
	return append(parts, final, trailer)
}

// marshalSegmented writes text and description as a segmented index
// member and returns it with its layout.
func marshalSegmented(text *mergedText, description string, mtime time.Time) ([]byte, *layout, error) {
	var chunks []chunk
	if text.recs != nil {
		chunks = chunkRecords(text.recs)
	} else {
		var ok bool
		if chunks, ok = chunkText(text.whole); !ok {
			// Not record-shaped (cannot happen for text WriteText wrote):
			// one segment, and no layout to merge into later.
			chunks = []chunk{{text: text.whole}}
		}
	}
	ctext, segs := compressChunks(chunks)
	parts, lay, err := finishMember(ctext, segs, description, mtime)
	if err != nil {
		return nil, nil, err
	}
	lay.noSidecar = text.recs == nil && len(chunks) == 1 && chunks[0].nrec == 0
	return concat(parts), lay, nil
}

// finishMember compresses the header and final segments around the
// compressed text segments and returns the member's pieces, in order,
// with its layout.
func finishMember(ctext [][]byte, segs []segment, description string, mtime time.Time) ([][]byte, *layout, error) {
	lay := &layout{text: segs}
	fw := getDeflater()
	defer putDeflater(fw)
	size := lay.textLen()
	hdr, hseg, err := headerSegment(fw, size, mtime)
	if err != nil {
		return nil, nil, err
	}
	final, fseg, err := finalSegment(fw, size, description, mtime)
	if err != nil {
		return nil, nil, err
	}
	lay.hdr, lay.final = hseg, fseg
	all := append(append([]segment{hseg}, segs...), fseg)
	parts := memberParts(hdr, ctext, final, gzipTrailer(all...))
	d := sha256.New()
	for _, p := range parts {
		lay.size += int64(len(p))
		d.Write(p)
	}
	d.Sum(lay.sum[:0])
	return parts, lay, nil
}
