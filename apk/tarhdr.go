package apk

import "bytes"

// tarBlockSize is the size of a tar header block and of the units entry
// contents are padded to.
const tarBlockSize = 512

// Offsets of the tar header fields parseTarHeader reads.
const (
	thName     = 0   // [0,100)
	thMode     = 100 // [100,108)
	thUID      = 108 // [108,116)
	thGID      = 116 // [116,124)
	thSize     = 124 // [124,136)
	thMtime    = 136 // [136,148)
	thChksum   = 148 // [148,156)
	thTypeflag = 156
	thMagic    = 257 // [257,263)
	thVersion  = 263 // [263,265)
	thDevMajor = 329 // [329,337)
	thDevMinor = 337 // [337,345)
	thPrefix   = 345 // USTAR prefix [345,500); GNU atime [345,357), ctime [357,369)
	thGNUCtime = 357
	thTrailer  = 508 // STAR trailer [508,512)
)

// parseTarHeader reads the name and size of a plain regular-file entry
// (typeflag '0' or NUL) from one tar header block, as the signature and
// control segments of a package hold them: V7, USTAR without a name
// prefix, or GNU without access or change times. It accepts a block only
// if archive/tar reads it without error as a regular file of that name
// and size; ok is false for anything else (zero blocks, PAX and GNU long
// name headers, other types, names with "/", base-256 numbers, a bad
// checksum...), and the caller then reads the segment with archive/tar.
// The name aliases b.
func parseTarHeader(b []byte) (name []byte, size int64, ok bool) {
	if len(b) != tarBlockSize {
		return nil, 0, false
	}
	sum, ok := tarOctal(b[thChksum : thChksum+8])
	if !ok || !tarChecksumMatches(b, sum) {
		return nil, 0, false
	}
	magic, version := string(b[thMagic:thMagic+6]), string(b[thVersion:thVersion+2])
	extended := true // USTAR or GNU: the device numbers are parsed too
	switch {
	case magic == "ustar\x00" && string(b[thTrailer:]) == "tar\x00":
		return nil, 0, false // STAR: prefix and times parsed differently
	case magic == "ustar\x00":
		if b[thPrefix] != 0 {
			return nil, 0, false // a name prefix
		}
	case magic == "ustar " && version == " \x00":
		if b[thPrefix] != 0 || b[thGNUCtime] != 0 {
			return nil, 0, false // GNU access or change time
		}
	default:
		extended = false // V7
	}
	if t := b[thTypeflag]; t != '0' && t != 0 {
		return nil, 0, false
	}
	name = b[thName : thName+100]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	if len(name) == 0 || bytes.IndexByte(name, '/') >= 0 {
		return nil, 0, false
	}
	size, ok = tarOctal(b[thSize : thSize+12])
	if !ok {
		return nil, 0, false
	}
	for _, f := range [...][2]int{{thMode, 8}, {thUID, 8}, {thGID, 8}, {thMtime, 12}} {
		if _, ok := tarOctal(b[f[0] : f[0]+f[1]]); !ok {
			return nil, 0, false
		}
	}
	if extended {
		if _, ok := tarOctal(b[thDevMajor : thDevMajor+8]); !ok {
			return nil, 0, false
		}
		if _, ok := tarOctal(b[thDevMinor : thDevMinor+8]); !ok {
			return nil, 0, false
		}
	}
	return name, size, true
}

// tarMaxNumber bounds the numbers tarOctal accepts, well inside int64.
const tarMaxNumber = 1 << 62

// tarOctal parses a numeric tar field as archive/tar does for octal: NULs
// and spaces around it are ignored, the number ends at the first NUL left,
// and an empty field is 0. Base-256 fields (high bit set) and numbers
// from tarMaxNumber up are refused.
func tarOctal(f []byte) (int64, bool) {
	if len(f) > 0 && f[0]&0x80 != 0 {
		return 0, false
	}
	f = bytes.Trim(f, " \x00")
	if len(f) == 0 {
		return 0, true
	}
	if i := bytes.IndexByte(f, 0); i >= 0 {
		f = f[:i]
	}
	if len(f) == 0 {
		return 0, false
	}
	var x int64
	for _, c := range f {
		if c < '0' || c > '7' {
			return 0, false
		}
		x = x<<3 | int64(c-'0')
		if x >= tarMaxNumber {
			return 0, false
		}
	}
	return x, true
}

// tarChecksumMatches says whether want is the block's checksum, summed
// over unsigned or (as some old writers did) signed bytes, with the
// checksum field itself counted as spaces.
func tarChecksumMatches(b []byte, want int64) bool {
	var unsigned, signed int64
	for i, c := range b {
		if i >= thChksum && i < thChksum+8 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}
