package version

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is matched (errors.Is) by every error this package returns for
// a malformed version or dependency token.
var ErrInvalid = errors.New("invalid")

// SyntaxError says where a version or dependency token leaves the grammar.
type SyntaxError struct {
	What   string // "version" or "dependency"
	Input  string // the whole token
	Offset int    // byte offset of the problem within Input
	Msg    string // what is wrong, and the fix when there is one
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s %q: %s (at byte %d)", e.What, e.Input, e.Msg, e.Offset)
}

// Unwrap makes every *SyntaxError match ErrInvalid.
func (e *SyntaxError) Unwrap() error { return ErrInvalid }

// suffixes in rank order; the first four are pre-release suffixes.
var suffixes = [...]string{"alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"}

const numPreSuffixes = 4

// suffixRank gives the rank of a whole suffix word: -4…-1 for the
// pre-release suffixes, 0…4 for the others, ok=false if unknown.
func suffixRank(word string) (rank int, ok bool) {
	for i, s := range suffixes {
		if s == word {
			return i - numPreSuffixes, true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isHex(c byte) bool   { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }
func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// Validate reports whether v follows the version grammar
// number{.number}…{letter}{_suffix{number}}…{~hash}{-rN}. The error is a
// *SyntaxError (matching ErrInvalid) naming the offending byte.
func Validate(v string) error {
	bad := func(off int, format string, args ...any) error {
		return &SyntaxError{What: "version", Input: v, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	if v == "" {
		return bad(0, "empty version")
	}
	i := 0
	switch {
	case isDigit(v[0]):
		i = digitsEnd(v, 0)
		// {.number}
		for i < len(v) && v[i] == '.' {
			j := digitsEnd(v, i+1)
			if j == i+1 {
				return bad(i, "'.' must be followed by a number")
			}
			i = j
		}
	case len(v) > 1 && isLower(v[0]) && isDigit(v[1]):
		// apk 2.14 reads "v2.4" as an empty number, the letter v, 2.4;
		// real indexes hold such provides (pc:librtmp=v2.4).
	default:
		return bad(0, "a version must start with a number (or a letter and a number, as in v2.4)")
	}
	// {letter{number{.number}…}}… — apk 2.14 lets numbers follow a letter
	// (6.8.0p2, as real indexes hold); apk v3 would not.
	for i < len(v) && isLower(v[i]) {
		i++
		if i < len(v) && isLower(v[i]) {
			return bad(i, "only one letter may follow a number; suffixes start with '_' (as in 1.0_rc1)")
		}
		if i < len(v) && v[i] == '.' {
			return bad(i, "a letter must be followed by a number, '_', '~', -r or the end, not '.'")
		}
		if i == len(v) || !isDigit(v[i]) {
			break
		}
		i = digitsEnd(v, i)
		for i < len(v) && v[i] == '.' {
			j := digitsEnd(v, i+1)
			if j == i+1 {
				return bad(i, "'.' must be followed by a number")
			}
			i = j
		}
	}
	// {_suffix{number}}
	for i < len(v) && v[i] == '_' {
		j := i + 1
		for j < len(v) && isLower(v[j]) {
			j++
		}
		if _, ok := suffixRank(v[i+1 : j]); !ok {
			return bad(i, "unknown suffix %q; want one of _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg, _p", v[i:j])
		}
		i = digitsEnd(v, j)
	}
	// {~hash}
	if i < len(v) && v[i] == '~' {
		j := i + 1
		for j < len(v) && isHex(v[j]) {
			j++
		}
		if j == i+1 {
			return bad(i, "'~' must be followed by a hexadecimal commit hash")
		}
		i = j
	}
	// {-rN}
	if i < len(v) && v[i] == '-' {
		if i+1 >= len(v) || v[i+1] != 'r' {
			return bad(i, "'-' may only start the package release, as in -r0")
		}
		j := digitsEnd(v, i+2)
		if j == i+2 {
			return bad(i, "-r must be followed by a number, as in -r0")
		}
		if j < len(v) {
			return bad(j, "nothing may follow the release %s", v[i:j])
		}
		i = j
	}
	if i < len(v) {
		c := v[i]
		switch {
		case c >= 'A' && c <= 'Z':
			return bad(i, "letters in a version must be lowercase")
		case c == '.' || c == '_' || c == '~' || isLower(c) || isDigit(c):
			return bad(i, "%q is out of order; the order is number{.number}{letter}{_suffix{number}}{~hash}{-rN}", c)
		default:
			return bad(i, "unexpected character %q", c)
		}
	}
	return nil
}

// Compare orders two versions as apk-tools 2.14 does (see the package
// documentation): it returns -1 if a < b, 0 if they are equal and +1 if
// a > b. It accepts any strings; for strings that Validate rejects the
// result is deterministic but not meaningful.
func Compare(a, b string) int { return compare(a, b, false) }

// compareFuzzy is Compare, except that two versions are equal as soon as
// one of them runs out of tokens with all shared tokens equal (apk 2.14's
// fuzzy comparison, used by the ~ operators).
func compareFuzzy(a, b string) int { return compare(a, b, true) }

func compare(a, b string, fuzzy bool) int {
	ta := tokenizer{s: a, kind: kNumber}
	tb := tokenizer{s: b, kind: kNumber}
	var va, vb value
	for ta.kind == tb.kind && ta.kind != kEnd && ta.kind != kInvalid && va.cmp(vb) == 0 {
		va = ta.next()
		vb = tb.next()
	}
	if c := va.cmp(vb); c != 0 {
		return c
	}
	if ta.kind == tb.kind || fuzzy {
		return 0
	}
	// The shorter side has ended or continues with a different kind of
	// token. Look past the empty number apk reads after an all-zero
	// component, so that "1.0_rc1" sees its _rc and stays below "1.0".
	ta.skipEmptyNumber()
	tb.skipEmptyNumber()
	if ta.kind == kSuffix && ta.peekSuffixRank() < 0 {
		return -1
	}
	if tb.kind == kSuffix && tb.peekSuffixRank() < 0 {
		return 1
	}
	switch {
	case ta.kind > tb.kind:
		return -1
	case ta.kind < tb.kind:
		return 1
	}
	return 0
}

// kind is the kind of the next token. The order matters: a kind may only
// be followed by a later kind (with the exceptions in classify), and when
// two versions diverge in kind, the one with the later kind is smaller.
type kind int8

const (
	kInvalid   kind = iota - 1
	kDotNumber      // a number after '.'; leading zeros are a token of their own
	kNumber         // a number: the first one, after a letter, or the rest after leading zeros
	kLetter
	kSuffix
	kSuffixNumber
	kHash
	kRevision
	kEnd
)

// value is one token's value: a small integer (letters, suffix ranks,
// runs of leading zeros as a negative count, -1 for an invalid token), a
// non-negative decimal number of any length, or a hash string.
type value struct {
	class int8 // 0 small, 1 number, 2 hash
	n     int64
	s     string // digits without leading zeros (class 1) or the hash (class 2)
}

func (x value) cmp(y value) int {
	if x.class == 2 || y.class == 2 {
		if x.class != y.class {
			return cmpInt(int64(x.class), int64(y.class))
		}
		return strings.Compare(x.s, y.s)
	}
	if x.class == 0 && y.class == 0 {
		return cmpInt(x.n, y.n)
	}
	xs, ys := x.s, y.s
	if x.class == 0 {
		if x.n < 0 {
			return -1
		}
		xs = fmt.Sprint(x.n)
	}
	if y.class == 0 {
		if y.n < 0 {
			return 1
		}
		ys = fmt.Sprint(y.n)
	}
	return cmpDigits(xs, ys)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cmpDigits compares two decimal numbers given without leading zeros.
func cmpDigits(a, b string) int {
	if len(a) != len(b) {
		return cmpInt(int64(len(a)), int64(len(b)))
	}
	return strings.Compare(a, b)
}

func trimZeros(d string) string { return strings.TrimLeft(d, "0") }

// tokenizer walks a version the way apk-tools 2.x does: kind is the kind
// of the token that next() will read, s what is left.
type tokenizer struct {
	s    string
	kind kind
}

func (t *tokenizer) next() value {
	if t.s == "" {
		t.kind = kEnd
		return value{}
	}
	var v value
	switch t.kind {
	case kDotNumber:
		if t.s[0] == '0' {
			i := 0
			for i < len(t.s) && t.s[i] == '0' {
				i++
			}
			t.s = t.s[i:]
			if t.s == "" {
				t.kind = kEnd
			} else {
				// apk reads the rest as a plain number, without looking at
				// what follows; it may be empty (see skipEmptyNumber).
				t.kind = kNumber
			}
			return value{n: int64(-i)}
		}
		fallthrough
	case kNumber, kSuffixNumber, kRevision:
		i := digitsEnd(t.s, 0)
		v = value{class: 1, s: trimZeros(t.s[:i])}
		t.s = t.s[i:]
	case kLetter:
		v = value{n: int64(t.s[0])}
		t.s = t.s[1:]
	case kSuffix:
		rank, n := matchSuffixPrefix(t.s)
		if n == 0 {
			t.kind = kInvalid
			return value{n: -1}
		}
		v = value{n: int64(rank)}
		t.s = t.s[n:]
	case kHash:
		i := 0
		for i < len(t.s) && isHex(t.s[i]) {
			i++
		}
		if i == 0 {
			t.kind = kInvalid
			return value{n: -1}
		}
		v = value{class: 2, s: t.s[:i]}
		t.s = t.s[i:]
	default:
		t.kind = kInvalid
		return value{n: -1}
	}
	if t.s == "" {
		t.kind = kEnd
	} else {
		t.classify()
	}
	return v
}

// matchSuffixPrefix finds the suffix that s starts with, trying the
// pre-release suffixes first as apk does (so "pre" wins over "p"). It
// returns the suffix rank and length, or n=0.
func matchSuffixPrefix(s string) (rank, n int) {
	for i, w := range suffixes {
		if strings.HasPrefix(s, w) {
			return i - numPreSuffixes, len(w)
		}
	}
	return 0, 0
}

// classify looks at the next byte and sets the kind of the next token,
// consuming separators ('.', '_', '~', "-r").
func (t *tokenizer) classify() {
	prev := t.kind
	c := t.s[0]
	var n kind
	switch {
	case c == 0:
		n = kEnd
	case (prev == kNumber || prev == kDotNumber) && isLower(c):
		n = kLetter
	case prev == kLetter && isDigit(c):
		n = kNumber
	case prev == kSuffix && isDigit(c):
		n = kSuffixNumber
	default:
		n = kInvalid
		switch c {
		case '.':
			n = kDotNumber
		case '_':
			n = kSuffix
		case '~':
			n = kHash
		case '-':
			if len(t.s) > 1 && t.s[1] == 'r' {
				n = kRevision
				t.s = t.s[1:]
			}
		}
		t.s = t.s[1:]
	}
	if n < prev {
		allowed := (n == kDotNumber && prev == kNumber) ||
			(n == kSuffix && prev == kSuffixNumber) ||
			(n == kNumber && prev == kLetter)
		if !allowed {
			n = kInvalid
		}
	}
	t.kind = n
}

// skipEmptyNumber consumes a number token that has no digits, which apk
// reads after an all-zero component followed by something else.
func (t *tokenizer) skipEmptyNumber() {
	if t.kind == kNumber && t.s != "" && !isDigit(t.s[0]) {
		t.classify()
	}
}

// peekSuffixRank returns the rank of the suffix the tokenizer is at, or -1
// if it is unknown (apk treats an unknown suffix like a pre-release one).
func (t *tokenizer) peekSuffixRank() int {
	rank, n := matchSuffixPrefix(t.s)
	if n == 0 {
		return -1
	}
	return rank
}
