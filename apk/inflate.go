package apk

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

// smallInflater inflates a whole raw deflate stream held in memory, as
// the IndexReader needs for the signature and control members (about a
// kilobyte each). A general decoder spends most of such a member
// building its three 512-entry lookup tables; this one sizes each table
// to its longest code, up to 2^fastBits entries (the code-length and
// distance codes of a small member need 32 to 128), and decodes the rare
// longer codes bit by bit. It accepts exactly the streams
// klauspost/compress/flate accepts, with the same output and the same
// end (the byte holding the last bit of the final block); FuzzInflate
// holds it to that.
type smallInflater struct {
	in   []byte
	pos  int    // next byte of in to load
	bits uint64 // loaded bits, lowest first
	nb   uint   // number of loaded bits
	lit  huffman
	dist huffman
	cl   huffman
	lens [maxLit + maxDist]uint8
}

const (
	fastBits = 9 // the widest lookup table
	maxLit   = 286
	maxDist  = 30
	endBlock = 256
)

// huffman is a canonical Huffman code: a lookup table of the codes of
// up to tbits bits (entry: symbol<<4 | length; 0 for none) and, for the
// others, the counts and symbols in canonical order.
type huffman struct {
	fast   [1 << fastBits]uint16
	tbits  uint
	count  [16]uint16
	symbol [288]uint16
}

var (
	fixedOnce sync.Once
	fixedLit  huffman
)

// fixedLitCode is the literal/length code of fixed-Huffman blocks.
func fixedLitCode() *huffman {
	fixedOnce.Do(func() {
		var l [288]uint8
		for i := range l {
			switch {
			case i < 144:
				l[i] = 8
			case i < 256:
				l[i] = 9
			case i < 280:
				l[i] = 7
			default:
				l[i] = 8
			}
		}
		fixedLit.build(l[:])
	})
	return &fixedLit
}

// build makes the code of lengths; ok is false where klauspost's
// decoder refuses the lengths: a code neither complete nor a single code
// of one bit (an all-zero code is taken, and fails when used).
func (h *huffman) build(lengths []uint8) bool {
	h.count = [16]uint16{}
	maxLen := uint(0)
	for _, l := range lengths {
		h.count[l]++
		maxLen = max(maxLen, uint(l))
	}
	h.count[0] = 0
	h.tbits = min(maxLen, fastBits)
	clear(h.fast[:1<<h.tbits])
	if maxLen == 0 {
		return true
	}
	code := 0
	var offs [16]uint16
	for l := uint(1); l <= maxLen; l++ {
		code = code<<1 + int(h.count[l])
		if l < 15 {
			offs[l+1] = offs[l] + h.count[l]
		}
	}
	if code != 1<<maxLen && (code != 1 || maxLen != 1) {
		return false
	}
	for sym, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = uint16(sym)
			offs[l]++
		}
	}
	code, idx := 0, 0
	for l := uint(1); l <= h.tbits; l++ {
		for range h.count[l] {
			e := h.symbol[idx]<<4 | uint16(l)
			for j := reverse(code, l); j < 1<<h.tbits; j += 1 << l {
				h.fast[j] = e
			}
			code++
			idx++
		}
		code <<= 1
	}
	return true
}

// reverse reverses the low n bits of code.
func reverse(code int, n uint) int {
	return int(bits.Reverse16(uint16(code)) >> (16 - n))
}

// refill loads whole bytes while the buffer has room: eight at once
// where the input has them.
func (d *smallInflater) refill() {
	if d.pos+8 <= len(d.in) {
		d.bits |= binary.LittleEndian.Uint64(d.in[d.pos:]) << d.nb
		d.pos += int(63-d.nb) >> 3
		d.nb |= 56
		d.bits &= 1<<d.nb - 1 // not the part of a byte left for later
		return
	}
	for d.nb <= 56 && d.pos < len(d.in) {
		d.bits |= uint64(d.in[d.pos]) << d.nb
		d.pos++
		d.nb += 8
	}
}

// get takes n (at most 32) bits.
func (d *smallInflater) get(n uint) (int, bool) {
	if d.nb < n {
		if d.refill(); d.nb < n {
			return 0, false
		}
	}
	v := int(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nb -= n
	return v, true
}

// sym decodes one symbol of h.
func (d *smallInflater) sym(h *huffman) (int, bool) {
	if d.nb < 15 {
		d.refill()
	}
	if e := h.fast[d.bits&(1<<h.tbits-1)]; e != 0 {
		l := uint(e & 15)
		if l > d.nb {
			return 0, false
		}
		d.bits >>= l
		d.nb -= l
		return int(e >> 4), true
	}
	code, first, index := 0, 0, 0
	bits, nb := d.bits, d.nb
	for l := 1; l <= 15 && nb > 0; l++ {
		code |= int(bits & 1)
		bits >>= 1
		nb--
		count := int(h.count[l])
		if code-count < first {
			d.bits, d.nb = bits, nb
			return int(h.symbol[index+code-first]), true
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, false
}

// inflate appends the inflated stream in to out and returns it with the
// number of bytes of in the stream takes. ok is false for a stream that
// is invalid or truncated, or inflates to more than limit bytes.
func (d *smallInflater) inflate(in, out []byte, limit int) (_ []byte, used int, ok bool) {
	d.in, d.pos, d.bits, d.nb = in, 0, 0, 0
	start := len(out)
	for final := false; !final; {
		hdr, ok := d.get(3)
		if !ok {
			return nil, 0, false
		}
		final = hdr&1 == 1
		switch hdr >> 1 {
		case 0:
			if out, ok = d.stored(out, start+limit); !ok {
				return nil, 0, false
			}
			continue
		case 1:
			if out, ok = d.block(fixedLitCode(), nil, out, start, limit); !ok {
				return nil, 0, false
			}
		case 2:
			if !d.dynamic() {
				return nil, 0, false
			}
			if out, ok = d.block(&d.lit, &d.dist, out, start, limit); !ok {
				return nil, 0, false
			}
		default:
			return nil, 0, false
		}
	}
	return out, d.pos - int(d.nb/8), true
}

// stored copies a stored block, from the next byte boundary.
func (d *smallInflater) stored(out []byte, end int) ([]byte, bool) {
	d.pos -= int(d.nb / 8)
	d.bits, d.nb = 0, 0
	if len(d.in)-d.pos < 4 {
		return nil, false
	}
	b := d.in[d.pos:]
	n, nn := int(b[0])|int(b[1])<<8, int(b[2])|int(b[3])<<8
	if nn != ^n&0xffff || len(b)-4 < n || len(out)+n > end {
		return nil, false
	}
	d.pos += 4 + n
	return append(out, b[4:4+n]...), true
}

// codeOrder is the order of the code-length code's lengths.
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads the codes of a dynamic block.
func (d *smallInflater) dynamic() bool {
	h, ok := d.get(14)
	if !ok {
		return false
	}
	nlit, ndist, nclen := h&31+257, (h>>5)&31+1, (h>>10)&15+4
	if nlit > maxLit || ndist > maxDist {
		return false
	}
	var cl [19]uint8
	for i := range nclen {
		v, ok := d.get(3)
		if !ok {
			return false
		}
		cl[codeOrder[i]] = uint8(v)
	}
	if !d.cl.build(cl[:]) {
		return false
	}
	n := nlit + ndist
	for i := 0; i < n; {
		x, ok := d.sym(&d.cl)
		if !ok {
			return false
		}
		if x < 16 {
			d.lens[i] = uint8(x)
			i++
			continue
		}
		var rep, val int
		var extra uint
		switch x {
		case 16:
			if i == 0 {
				return false
			}
			rep, extra, val = 3, 2, int(d.lens[i-1])
		case 17:
			rep, extra = 3, 3
		default:
			rep, extra = 11, 7
		}
		r, ok := d.get(extra)
		if !ok || i+rep+r > n {
			return false
		}
		for range rep + r {
			d.lens[i] = uint8(val)
			i++
		}
	}
	return d.lit.build(d.lens[:nlit]) && d.dist.build(d.lens[nlit:n])
}

var (
	lenBase   = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// block decodes the symbols of a block up to its end; dist nil means the
// fixed distance code (five bits, reversed).
func (d *smallInflater) block(lit, dist *huffman, out []byte, start, limit int) ([]byte, bool) {
	for {
		x, ok := d.sym(lit)
		switch {
		case !ok:
			return nil, false
		case x < endBlock:
			if len(out)-start >= limit {
				return nil, false
			}
			out = append(out, byte(x))
			continue
		case x == endBlock:
			return out, true
		case x >= endBlock+1+len(lenBase):
			return nil, false
		}
		x -= endBlock + 1
		e, ok := d.get(uint(lenExtra[x]))
		if !ok {
			return nil, false
		}
		length := int(lenBase[x]) + e
		var dc int
		if dist == nil {
			v, ok := d.get(5)
			if !ok {
				return nil, false
			}
			dc = reverse(v, 5)
		} else if dc, ok = d.sym(dist); !ok {
			return nil, false
		}
		if dc >= maxDist {
			return nil, false
		}
		e, ok = d.get(uint(distExtra[dc]))
		if !ok {
			return nil, false
		}
		back := int(distBase[dc]) + e
		if back > len(out)-start || len(out)-start+length > limit {
			return nil, false
		}
		// The copy repeats with period back: append what is there, which
		// doubles each round and stays a whole number of periods.
		from := len(out) - back
		for length > 0 {
			n := min(length, len(out)-from)
			out = append(out, out[from:from+n]...)
			length -= n
		}
	}
}
