package index

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/pestle-dev/pestle/apk"
)

// maxLine bounds one APKINDEX line; real ones stay far below (a long D: list
// is a few KiB).
const maxLine = 1 << 20

// ErrFormat marks malformed APKINDEX text or archives.
var ErrFormat = errors.New("malformed APKINDEX")

// ParseText parses APKINDEX text: records of "X:value" lines separated by
// blank lines. Every field of an index record is understood (C P V A S I T U
// L o m t c k D p i, and r q of the installed database); unknown lowercase
// fields are ignored. A record with an unknown uppercase field is still
// returned; use ParseTextIndex to learn which records those are. A final
// record without its closing blank line is kept (apk-tools would drop it).
func ParseText(r io.Reader) ([]*apk.PackageInfo, error) {
	ix, err := ParseTextIndex(r)
	if err != nil {
		return nil, err
	}
	return ix.Packages, nil
}

// ParseTextIndex is ParseText returning an Index, whose Uninstallable map
// names the records that carry a field letter this reader does not know and
// must not install (apk-tools marks them uninstallable the same way).
func ParseTextIndex(r io.Reader) (*Index, error) {
	p := textParser{br: bufio.NewReaderSize(r, 64<<10)}
	return p.parse()
}

// textParser turns APKINDEX text into records with few allocations: the
// records and token lists come from slabs, and every string of one record
// (values and dependency tokens) is a slice of one allocation.
type textParser struct {
	br     *bufio.Reader
	long   []byte
	lineNo int

	rec   []byte    // this record's string values, concatenated
	pend  []pending // where they go once the record ends
	pkgs  []apk.PackageInfo
	slab  []string // backing store of token lists
	bytes []byte   // backing store of checksums
}

// pending is a value rec[start:end] waiting for the end of its record:
// a string field (dst) or a token of list number list.
type pending struct {
	dst        *string
	list       int
	start, end int
}

// Token lists of a record, by pending.list.
const (
	listDepends = iota
	listProvides
	listInstallIf
	listReplaces
	numLists
)

// readLine returns the next line without its "\n", or io.EOF.
func (p *textParser) readLine() ([]byte, error) {
	p.long = p.long[:0]
	for {
		chunk, err := p.br.ReadSlice('\n')
		switch {
		case err == bufio.ErrBufferFull:
			p.long = append(p.long, chunk...)
			if len(p.long) > maxLine {
				return nil, fmt.Errorf("%w: line %d is longer than %d bytes", ErrFormat, p.lineNo+1, maxLine)
			}
			continue
		case err == io.EOF:
			if len(chunk) == 0 && len(p.long) == 0 {
				return nil, io.EOF
			}
		case err != nil:
			return nil, err
		}
		p.lineNo++
		if len(p.long) > 0 {
			p.long = append(p.long, chunk...)
			chunk = p.long
		}
		if n := len(chunk); n > 0 && chunk[n-1] == '\n' {
			chunk = chunk[:n-1]
		}
		return chunk, nil
	}
}

func (p *textParser) newPackage() *apk.PackageInfo {
	if len(p.pkgs) == cap(p.pkgs) {
		p.pkgs = make([]apk.PackageInfo, 0, 256)
	}
	p.pkgs = p.pkgs[:len(p.pkgs)+1]
	p.rec, p.pend = p.rec[:0], p.pend[:0]
	return &p.pkgs[len(p.pkgs)-1]
}

func (p *textParser) parse() (*Index, error) {
	ix := &Index{}
	var cur *apk.PackageInfo
	var start int
	finish := func() error {
		if cur == nil {
			return nil
		}
		p.resolve(cur)
		if cur.Name == "" || cur.Version == "" {
			return fmt.Errorf("%w: record at line %d has no P: (name) or V: (version)", ErrFormat, start)
		}
		ix.Packages = append(ix.Packages, cur)
		cur = nil
		return nil
	}
	for {
		line, err := p.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("APKINDEX: %w", err)
		}
		if len(line) < 2 {
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		if line[1] != ':' {
			return nil, fmt.Errorf("%w: line %d: %q is not a \"X:value\" field", ErrFormat, p.lineNo, clip(line))
		}
		if cur == nil {
			cur = p.newPackage()
			start = p.lineNo
		}
		field, val := line[0], line[2:]
		known, err := p.set(cur, field, val)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: field %c: %v", ErrFormat, p.lineNo, field, err)
		}
		if !known && !(field >= 'a' && field <= 'z') {
			if ix.Uninstallable == nil {
				ix.Uninstallable = map[*apk.PackageInfo]string{}
			}
			ix.Uninstallable[cur] += string(field)
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return ix, nil
}

// set stores one field; known is false for a letter it does not handle.
func (p *textParser) set(pkg *apk.PackageInfo, field byte, val []byte) (known bool, err error) {
	switch field {
	case 'C':
		pkg.Checksum, err = p.checksum(val)
	case 'P':
		p.later(&pkg.Name, val)
	case 'V':
		p.later(&pkg.Version, val)
	case 'A':
		p.later(&pkg.Arch, val)
	case 'S':
		var n uint64
		n, err = parseUint(val, 63)
		pkg.FileSize = int64(n)
	case 'I':
		pkg.Size, err = parseUint(val, 64)
	case 'T':
		p.later(&pkg.Description, val)
	case 'U':
		p.later(&pkg.URL, val)
	case 'L':
		p.later(&pkg.License, val)
	case 'o':
		p.later(&pkg.Origin, val)
	case 'm':
		p.later(&pkg.Maintainer, val)
	case 't':
		var n uint64
		n, err = parseUint(val, 63)
		pkg.BuildDate = int64(n)
	case 'c':
		p.later(&pkg.Commit, val)
	case 'k':
		pkg.ProviderPriority, err = parseUint(val, 64)
	case 'q':
		pkg.ReplacesPriority, err = parseUint(val, 64)
	case 'D':
		p.tokens(listDepends, val)
	case 'p':
		p.tokens(listProvides, val)
	case 'i':
		p.tokens(listInstallIf, val)
	case 'r':
		p.tokens(listReplaces, val)
	default:
		return false, nil
	}
	return true, err
}

// later keeps val to be stored in *dst when the record ends.
func (p *textParser) later(dst *string, val []byte) {
	start := len(p.rec)
	p.rec = append(p.rec, val...)
	p.pend = append(p.pend, pending{dst: dst, start: start, end: len(p.rec)})
}

// parseUint parses a decimal number of at most bits bits.
func parseUint(val []byte, bits int) (uint64, error) {
	if len(val) == 0 || len(val) > 20 {
		return 0, fmt.Errorf("%q is not a number", clip(val))
	}
	var n uint64
	for _, c := range val {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", clip(val))
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, fmt.Errorf("%q is too large", clip(val))
		}
		n = n*10 + d
	}
	if bits < 64 && n >= 1<<bits {
		return 0, fmt.Errorf("%q is too large", clip(val))
	}
	return n, nil
}

// checksum decodes a C: value; the common Q1 form lands in a shared slab.
func (p *textParser) checksum(val []byte) ([]byte, error) {
	if len(val) == 30 && val[0] == 'Q' && val[1] == '1' {
		// 28 base64 characters decode to up to 21 bytes; a valid SHA-1
		// (one "=" of padding) gives 20.
		var sum [21]byte
		n, err := base64.StdEncoding.Strict().Decode(sum[:], val[2:])
		if err == nil && n == 20 {
			if len(p.bytes)+20 > cap(p.bytes) {
				p.bytes = make([]byte, 0, 20*256)
			}
			at := len(p.bytes)
			p.bytes = append(p.bytes, sum[:20]...)
			return p.bytes[at : at+20 : at+20], nil
		}
	}
	return DecodeChecksum(string(val))
}

// tokens keeps the space-separated dependency tokens of val for list (a
// tab is not a separator, as in apk-tools).
func (p *textParser) tokens(list int, val []byte) {
	for len(val) > 0 {
		i := bytes.IndexByte(val, ' ')
		if i < 0 {
			i = len(val)
		}
		if i > 0 {
			start := len(p.rec)
			p.rec = append(p.rec, val[:i]...)
			p.pend = append(p.pend, pending{list: list, start: start, end: len(p.rec)})
		}
		if i == len(val) {
			break
		}
		val = val[i+1:]
	}
}

// resolve stores the kept values of the record that just ended: one string
// allocation for all of them, token lists carved from the slab.
func (p *textParser) resolve(pkg *apk.PackageInfo) {
	all := string(p.rec)
	var counts [numLists]int
	for _, d := range p.pend {
		if d.dst == nil {
			counts[d.list]++
		}
	}
	lists := [numLists]*[]string{&pkg.Depends, &pkg.Provides, &pkg.InstallIf, &pkg.Replaces}
	for l, n := range counts {
		if n == 0 {
			continue
		}
		if len(p.slab)+n > cap(p.slab) {
			p.slab = make([]string, 0, max(4096, n))
		}
		at := len(p.slab)
		p.slab = p.slab[:at+n]
		*lists[l] = p.slab[at : at : at+n]
	}
	for _, d := range p.pend {
		if d.dst != nil {
			*d.dst = all[d.start:d.end]
		} else {
			*lists[d.list] = append(*lists[d.list], all[d.start:d.end])
		}
	}
}

// DecodeChecksum decodes a C: value: "Q1"+base64 SHA-1 (20 bytes), and the
// forms apk-tools 3 also reads: "Q2"+base64 SHA-256, "X1"/"X2"+hex.
func DecodeChecksum(s string) ([]byte, error) {
	if len(s) < 2 {
		return nil, fmt.Errorf("checksum %q is too short: want Q1 followed by base64 SHA-1", s)
	}
	var want int
	switch s[1] {
	case '1':
		want = 20
	case '2':
		want = 32
	default:
		return nil, fmt.Errorf("checksum %q: unknown kind %q (want Q1, Q2, X1 or X2)", clipS(s), s[:2])
	}
	var sum []byte
	var err error
	switch s[0] {
	case 'Q':
		sum, err = base64.StdEncoding.Strict().DecodeString(s[2:])
	case 'X':
		sum, err = hex.DecodeString(s[2:])
	default:
		return nil, fmt.Errorf("checksum %q: unknown kind %q (want Q1, Q2, X1 or X2)", clipS(s), s[:2])
	}
	if err != nil {
		return nil, fmt.Errorf("checksum %q: %v", clipS(s), err)
	}
	if len(sum) != want {
		return nil, fmt.Errorf("checksum %q has %d bytes, want %d", clipS(s), len(sum), want)
	}
	return sum, nil
}

// EncodeChecksum renders a C: value: "Q1"+base64 for a SHA-1, "Q2"+base64
// for a SHA-256.
func EncodeChecksum(sum []byte) (string, error) {
	switch len(sum) {
	case 20:
		return "Q1" + base64.StdEncoding.EncodeToString(sum), nil
	case 32:
		return "Q2" + base64.StdEncoding.EncodeToString(sum), nil
	}
	return "", fmt.Errorf("checksum has %d bytes: want 20 (SHA-1 of the control member)", len(sum))
}

func clip(b []byte) string { return clipS(string(b)) }

func clipS(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
