package version

import (
	"fmt"
	"strings"
)

// Op is the comparison of a dependency token.
type Op uint8

// The operators. Any is a bare name; Checksum (><) pins a package identity
// ("Q1…"); FuzzyLE (<~) and FuzzyGE (>~) are apk v3's fuzzy bounds, which
// apk 2.14 also parses.
const (
	Any      Op = iota // name
	EQ                 // name=1.0
	LT                 // name<1.0
	LE                 // name<=1.0
	GT                 // name>1.0
	GE                 // name>=1.0
	Fuzzy              // name~1.0
	Checksum           // name><Q1…
	FuzzyLE            // name<~1.0
	FuzzyGE            // name>~1.0
)

var opText = [...]string{Any: "", EQ: "=", LT: "<", LE: "<=", GT: ">", GE: ">=", Fuzzy: "~", Checksum: "><", FuzzyLE: "<~", FuzzyGE: ">~"}

// String returns the operator as written in a token ("" for Any).
func (o Op) String() string {
	if int(o) < len(opText) {
		return opText[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// The bits apk combines an operator from; any order and repetition of the
// characters gives the same operator ("=<" is "<=").
const (
	bitLess = 1 << iota
	bitGreater
	bitEqual
	bitFuzzy
)

// opByMask gives the operator of each mask; Any marks a mask that is no
// operator. (An array, not a map literal, which is built by code at every
// start-up.)
var opByMask = [bitFuzzy << 1]Op{
	bitLess:                          LT,
	bitLess | bitEqual:               LE,
	bitEqual:                         EQ,
	bitGreater | bitEqual:            GE,
	bitGreater:                       GT,
	bitFuzzy | bitEqual:              Fuzzy,
	bitLess | bitGreater:             Checksum,
	bitLess | bitEqual | bitFuzzy:    FuzzyLE,
	bitGreater | bitEqual | bitFuzzy: FuzzyGE,
}

func isOpChar(c byte) bool { return c == '<' || c == '>' || c == '=' || c == '~' }

// Dependency is one parsed token: [!]Name[@Tag][Op Version].
type Dependency struct {
	Name     string // opaque: "busybox", "so:libc.musl-x86_64.so.1", "/bin/sh"
	Tag      string // repository tag after '@', or ""
	Version  string // "" when Op is Any
	Op       Op
	Conflict bool // the token starts with '!': nothing matching may be installed
}

// ParseDependency parses one token. The name must not be empty or contain
// control characters or separators; the version must pass Validate unless
// the operator is ><. Errors are *SyntaxError and match ErrInvalid.
func ParseDependency(s string) (Dependency, error) {
	bad := func(off int, format string, args ...any) (Dependency, error) {
		return Dependency{}, &SyntaxError{What: "dependency", Input: s, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	var d Dependency
	if s == "" {
		return bad(0, "empty dependency")
	}
	i := 0
	if s[0] == '!' {
		d.Conflict = true
		i = 1
	}
	end := len(s)
	for j := i; j < len(s); j++ {
		if isOpChar(s[j]) {
			end = j
			break
		}
	}
	name := s[i:end]
	if at := strings.IndexByte(name, '@'); at >= 0 {
		d.Tag = name[at+1:]
		name = name[:at]
		if d.Tag == "" {
			return bad(i+at, "'@' must be followed by a repository tag")
		}
	}
	if name == "" {
		return bad(i, "missing package name")
	}
	if name[0] == '!' {
		return bad(i, "the name may not start with '!'")
	}
	for j := i; j < end; j++ {
		c := s[j]
		switch {
		case c == ' ' || c == '\n':
			return bad(j, "a token cannot hold a space or newline; split lists with ParseDependencies")
		case c == '\t':
			return bad(j, "a tab is not a separator; separate dependencies with spaces or newlines")
		case c < 0x20 || c == 0x7f:
			return bad(j, "control character %q in name", c)
		}
	}
	d.Name = name
	if end == len(s) {
		return d, nil
	}
	j := end
	mask := 0
	for j < len(s) && isOpChar(s[j]) {
		switch s[j] {
		case '<':
			mask |= bitLess
		case '>':
			mask |= bitGreater
		case '=':
			mask |= bitEqual
		case '~':
			mask |= bitFuzzy | bitEqual
		}
		j++
	}
	op := opByMask[mask]
	if op == Any {
		return bad(end, "unsupported operator %q; use one of <, <=, =, >=, >, ~, <~, >~, ><", s[end:j])
	}
	d.Op = op
	d.Version = s[j:]
	if d.Version == "" {
		return bad(j, "missing version after %q", s[end:j])
	}
	if op == Checksum {
		for k := j; k < len(s); k++ {
			if c := s[k]; c <= ' ' || c == 0x7f {
				return bad(k, "unexpected character %q in package identity", c)
			}
		}
		return d, nil
	}
	if err := Validate(d.Version); err != nil {
		se := err.(*SyntaxError)
		return bad(j+se.Offset, "version: %s", se.Msg)
	}
	return d, nil
}

// ParseDependencies parses a list of tokens separated by spaces or
// newlines (runs of them are fine; tabs are not separators). An empty list
// gives nil. The error names the first bad token.
func ParseDependencies(s string) ([]Dependency, error) {
	var deps []Dependency
	for len(s) > 0 {
		i := 0
		for i < len(s) && (s[i] == ' ' || s[i] == '\n') {
			i++
		}
		s = s[i:]
		if s == "" {
			break
		}
		j := 0
		for j < len(s) && s[j] != ' ' && s[j] != '\n' {
			j++
		}
		d, err := ParseDependency(s[:j])
		if err != nil {
			return nil, err
		}
		deps = append(deps, d)
		s = s[j:]
	}
	return deps, nil
}

// String renders the token canonically; ParseDependency(d.String())
// returns d again. Equivalent operator spellings are normalised ("=<"
// becomes "<=").
func (d Dependency) String() string {
	var b strings.Builder
	b.Grow(len(d.Name) + len(d.Tag) + len(d.Version) + 4)
	if d.Conflict {
		b.WriteByte('!')
	}
	b.WriteString(d.Name)
	if d.Tag != "" {
		b.WriteByte('@')
		b.WriteString(d.Tag)
	}
	if d.Op != Any {
		b.WriteString(d.Op.String())
		b.WriteString(d.Version)
	}
	return b.String()
}

// MatchVersion reports whether a provider version v satisfies the
// constraint, ignoring Name and Conflict:
//   - Any matches everything, including an unversioned provide (v == "");
//   - Checksum compares v, which must then be the package identity
//     ("Q1…"), with Version byte for byte;
//   - every other operator needs a version: an unversioned provide never
//     satisfies a versioned constraint, as in apk.
func (d Dependency) MatchVersion(v string) bool {
	switch d.Op {
	case Any:
		return true
	case Checksum:
		return v == d.Version
	}
	if v == "" {
		return false
	}
	var c int
	if d.Op == Fuzzy || d.Op == FuzzyLE || d.Op == FuzzyGE {
		c = compareFuzzy(v, d.Version)
	} else {
		c = Compare(v, d.Version)
	}
	switch d.Op {
	case EQ, Fuzzy:
		return c == 0
	case LT:
		return c < 0
	case LE, FuzzyLE:
		return c <= 0
	case GT:
		return c > 0
	case GE, FuzzyGE:
		return c >= 0
	}
	return false
}

// Matches reports whether a package or provide called name, with version
// version ("" for an unversioned provide), matches the token's name and
// constraint. Conflict is not applied: for "!foo<2" Matches tells whether
// foo 1.0 is what the token forbids, and the caller inverts.
func (d Dependency) Matches(name, version string) bool {
	return name == d.Name && d.MatchVersion(version)
}
