package sbom

import (
	"strings"
)

const noAssertion = "NOASSERTION"

// LicenseExpression joins the licenses of a recipe's copyright entries
// with AND, the package's declared license. An entry that is itself a
// compound expression is parenthesised so that joining keeps its meaning
// ("MIT OR Apache-2.0" and "BSD-3-Clause" give
// "(MIT OR Apache-2.0) AND BSD-3-Clause"). Empty entries are skipped.
func LicenseExpression(licenses []string) string {
	var parts []string
	for _, l := range licenses {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	if len(parts) > 1 {
		for i, p := range parts {
			if strings.ContainsAny(p, " \t\n") && !wrapped(p) {
				parts[i] = "(" + p + ")"
			}
		}
	}
	return strings.Join(parts, " AND ")
}

// wrapped reports whether s is one parenthesised group.
func wrapped(s string) bool {
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}

// licenseRef is a license that is not an SPDX identifier, declared in the
// document's hasExtractedLicensingInfos.
type licenseRef struct {
	ID   string // LicenseRef-…
	Name string // as the recipe wrote it
}

// normalizeLicense turns a declared license expression into valid SPDX
// syntax: operators upper-cased, whitespace collapsed, and every operand
// that is not an SPDX identifier replaced by a LicenseRef. An expression
// that does not parse at all becomes a single LicenseRef named after the
// whole text. Empty means NOASSERTION.
func normalizeLicense(expr string) (string, []licenseRef) {
	expr = strings.TrimSpace(expr)
	switch expr {
	case "":
		return noAssertion, nil
	case noAssertion, "NONE":
		return expr, nil
	}
	p := &licenseParser{toks: tokenizeLicense(expr)}
	if out, ok := p.expression(); ok && p.pos == len(p.toks) {
		return out, p.refs
	}
	ref := licenseRef{ID: refID(expr), Name: expr}
	return ref.ID, []licenseRef{ref}
}

func tokenizeLicense(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

// licenseParser parses the SPDX license expression grammar:
//
//	expression := term { ("AND" | "OR") term }
//	term       := "(" expression ")" | license [ "WITH" exception ]
type licenseParser struct {
	toks []string
	pos  int
	refs []licenseRef
}

func (p *licenseParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func operator(tok string) string {
	switch u := strings.ToUpper(tok); u {
	case "AND", "OR", "WITH":
		return u
	}
	return ""
}

func (p *licenseParser) expression() (string, bool) {
	left, ok := p.term()
	if !ok {
		return "", false
	}
	out := left
	for {
		op := operator(p.peek())
		if op != "AND" && op != "OR" {
			return out, true
		}
		p.pos++
		right, ok := p.term()
		if !ok {
			return "", false
		}
		out += " " + op + " " + right
	}
}

func (p *licenseParser) term() (string, bool) {
	tok := p.peek()
	switch {
	case tok == "":
		return "", false
	case tok == "(":
		p.pos++
		inner, ok := p.expression()
		if !ok || p.peek() != ")" {
			return "", false
		}
		p.pos++
		return "(" + inner + ")", true
	case tok == ")" || operator(tok) != "":
		return "", false
	}
	p.pos++
	lic := p.license(tok)
	if operator(p.peek()) != "WITH" {
		return lic, true
	}
	p.pos++
	exc := p.peek()
	if exc == "" || exc == "(" || exc == ")" || operator(exc) != "" || !isIDString(exc) {
		return "", false
	}
	p.pos++
	return lic + " WITH " + exc, true
}

// license keeps a valid identifier and replaces anything else by a
// LicenseRef.
func (p *licenseParser) license(tok string) string {
	id := tok
	switch {
	case strings.HasPrefix(tok, "LicenseRef-") && validLicenseID(tok):
		// declared by the recipe's own name: still needs its
		// extracted-licensing entry
	case validLicenseID(tok):
		return tok
	default:
		id = refID(tok)
	}
	for _, r := range p.refs {
		if r.ID == id {
			return id
		}
	}
	p.refs = append(p.refs, licenseRef{ID: id, Name: tok})
	return id
}

// validLicenseID reports whether tok is a license identifier that can stand
// in the document as it is. DocumentRef-…:LicenseRef-… forms are not: they
// would need an externalDocumentRefs entry the recipe cannot give.
func validLicenseID(tok string) bool {
	if strings.HasPrefix(tok, "LicenseRef-") {
		return isIDString(tok[len("LicenseRef-"):])
	}
	return isIDString(strings.TrimSuffix(tok, "+"))
}

// isIDString reports whether s is an SPDX idstring: letters, digits, "-"
// and ".".
func isIDString(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !idByte(s[i]) {
			return false
		}
	}
	return true
}

func idByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.'
}

// refID is the LicenseRef identifier for a license name: every run of
// characters outside an idstring becomes one "-".
func refID(name string) string {
	name = strings.TrimPrefix(name, "LicenseRef-")
	return "LicenseRef-" + idString(name, "unknown")
}

// idString maps s onto SPDX idstring characters: every run of other
// characters becomes one "-", and leading or trailing dashes are dropped.
// An empty result is replaced by fallback.
func idString(s, fallback string) string {
	var b strings.Builder
	dash := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if idByte(c) && c != '-' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteByte(c)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}
