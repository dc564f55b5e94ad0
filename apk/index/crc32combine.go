package index

// The CRC-32 of a concatenation A‖B follows from the CRCs of A and B and
// the length of B alone: appending len(B) bytes multiplies A's remainder
// by x^(8·len(B)) modulo the CRC polynomial, and the pre- and post-
// conditioning of the IEEE CRC cancel out in the sum. This lets a merge
// give the gzip trailer of an index whose segments it did not inflate.

// crcPoly is the IEEE CRC-32 polynomial, bit-reversed as crc32 uses it:
// bit 31 holds the coefficient of x^0.
const crcPoly = 0xedb88320

// gfMul multiplies two polynomials over GF(2) modulo crcPoly, both in the
// bit-reversed form.
func gfMul(a, b uint32) uint32 {
	var p uint32
	for bit := uint32(1) << 31; bit != 0; bit >>= 1 {
		if a&bit != 0 {
			p ^= b
		}
		// b *= x: a shift towards the low bits, reduced when x^32 appears.
		if b&1 != 0 {
			b = b>>1 ^ crcPoly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8 returns x^(8·n) modulo crcPoly, by squaring.
func xPow8(n int64) uint32 {
	r := uint32(1) << 31    // x^0
	base := uint32(1) << 23 // x^8
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			r = gfMul(r, base)
		}
		base = gfMul(base, base)
	}
	return r
}

// crc32Combine returns the IEEE CRC-32 of A‖B given crcA = CRC(A),
// crcB = CRC(B) and lenB = len(B).
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	return gfMul(xPow8(lenB), crcA) ^ crcB
}
