package pipeline

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// A Scope holds variables for substitution. Scopes nest: a subpackage scope
// sits on the package scope, a step scope on either. A value may itself
// contain references; they are resolved, once, in the scope where the value
// was written (lexical scoping), so vars.x = "${{package.version}}" means
// the package version wherever vars.x is used.
type Scope struct {
	parent    *Scope
	vars      map[string]*entry
	cache     map[string]string
	resolving map[string]bool
}

type entry struct {
	raw     string
	literal bool   // raw is final text, never scanned for references
	home    *Scope // where raw's references resolve (nil: the owning scope)
	origin  string // what defined it, for errors ("vars.foo")
	file    string
	pos     Pos
}

// NewScope returns an empty scope on top of parent (which may be nil).
func NewScope(parent *Scope) *Scope {
	return &Scope{parent: parent, vars: map[string]*entry{}}
}

// Set defines name as final text.
func (s *Scope) Set(name, value string) {
	s.vars[name] = &entry{raw: value, literal: true}
	s.cache = nil
}

// define adds a value that may contain references, resolved in home (nil:
// this scope). origin, file and pos say where it was written.
func (s *Scope) define(name, raw string, home *Scope, origin, file string, pos Pos) {
	s.vars[name] = &entry{raw: raw, home: home, origin: origin, file: file, pos: pos}
	s.cache = nil
}

func (s *Scope) find(name string) (*entry, *Scope) {
	for sc := s; sc != nil; sc = sc.parent {
		if e, ok := sc.vars[name]; ok {
			return e, sc
		}
	}
	return nil, nil
}

// Has reports whether name is defined in s or a parent.
func (s *Scope) Has(name string) bool {
	e, _ := s.find(name)
	return e != nil
}

// Get returns the resolved value of name.
func (s *Scope) Get(name string) (string, error) {
	e, owner := s.find(name)
	if e == nil {
		return "", &undefinedError{name: name, hint: s.hintFor(name)}
	}
	if e.literal {
		return e.raw, nil
	}
	if v, ok := owner.cache[name]; ok {
		return v, nil
	}
	if owner.resolving[name] {
		return "", &Error{File: e.file, Line: e.pos.Line, Col: e.pos.Col,
			Msg: fmt.Sprintf("variable %q refers to itself", name)}
	}
	if owner.resolving == nil {
		owner.resolving = map[string]bool{}
	}
	owner.resolving[name] = true
	defer delete(owner.resolving, name)
	home := e.home
	if home == nil {
		home = owner
	}
	v, err := home.Expand(e.raw)
	if err != nil {
		return "", positioned(err, e.file, e.pos, "in the value of "+e.origin)
	}
	if owner.cache == nil {
		owner.cache = map[string]string{}
	}
	owner.cache[name] = v
	return v, nil
}

// Expand replaces every ${{name}} and $<<name>> in text.
func (s *Scope) Expand(text string) (string, error) {
	return expand(text, s.Get)
}

// names lists every variable visible from s.
func (s *Scope) names() []string {
	seen := map[string]bool{}
	var out []string
	for sc := s; sc != nil; sc = sc.parent {
		for n := range sc.vars {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *Scope) hintFor(name string) string {
	switch {
	case strings.HasPrefix(name, "range."):
		return "range.key and range.value exist only in a subpackage with range:"
	case strings.HasPrefix(name, "inputs."):
		if h := suggest(name, s.names()); h != "" {
			return h
		}
		return "inputs.* exist only inside a uses: pipeline that declares them"
	case name == "targets.subpkgdir" || name == "subpkg.name":
		return name + " exists only inside a subpackage"
	}
	return suggest(name, s.names())
}

// undefinedError is an unknown variable met directly in the text being
// expanded; the caller knows where that text is and positions it.
type undefinedError struct {
	name, hint string
}

func (u *undefinedError) Error() string {
	return fmt.Sprintf("undefined variable %q", u.name)
}

// syntaxError is a malformed reference such as "${{package.name}".
type syntaxError struct{ ref string }

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed variable reference %q", e.ref)
}

// positioned turns an expansion error into an *Error at file:pos, adding
// what (e.g. "in runs") to the message. Errors already positioned deeper
// (inside a variable's own value) are kept as they are.
func positioned(err error, file string, pos Pos, what string) error {
	switch e := err.(type) {
	case *Error:
		return e
	case *undefinedError:
		return &Error{File: file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf("undefined variable %q %s", e.name, what), Hint: e.hint}
	case *syntaxError:
		return &Error{File: file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf("malformed variable reference %q %s", e.ref, what), Hint: "write ${{name}} (or $<<name>>)"}
	}
	return &Error{File: file, Line: pos.Line, Col: pos.Col, Msg: err.Error() + " " + what}
}

func isVarChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}

// expand scans text for ${{ name }} and $<<name>> references (spaces and
// tabs allowed around the name) and replaces them with lookup(name). There
// is no escape: any "${{" or "$<<" must start a well-formed reference.
func expand(text string, lookup func(string) (string, error)) (string, error) {
	return expandSome(text, lookup, leniency{})
}

// leniency says what expandSome lets through as plain text, as melange
// does: it only replaces what looks exactly like a reference, and leaves
// unknown names alone in free text. Each callback hears of what was kept.
type leniency struct {
	// malformed, when set, keeps a malformed reference as text.
	malformed func(ref string)
	// undefined, when set, keeps a reference to an undefined name as text.
	undefined func(name string)
}

// expandSome is expand with leniency l.
func expandSome(text string, lookup func(string) (string, error), l leniency) (string, error) {
	if !strings.Contains(text, "${{") && !strings.Contains(text, "$<<") {
		return text, nil
	}
	var b strings.Builder
	b.Grow(len(text))
	i := 0
	for i < len(text) {
		j := strings.IndexByte(text[i:], '$')
		if j < 0 {
			b.WriteString(text[i:])
			break
		}
		j += i
		b.WriteString(text[i:j])
		var closing string
		switch {
		case strings.HasPrefix(text[j:], "${{"):
			closing = "}}"
		case strings.HasPrefix(text[j:], "$<<"):
			closing = ">>"
		default:
			b.WriteByte('$')
			i = j + 1
			continue
		}
		k := j + 3
		for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
			k++
		}
		start := k
		for k < len(text) && isVarChar(text[k]) {
			k++
		}
		name := text[start:k]
		for k < len(text) && (text[k] == ' ' || text[k] == '\t') {
			k++
		}
		if name == "" || !strings.HasPrefix(text[k:], closing) {
			ref := malformedRef(text, j, k)
			if l.malformed == nil {
				return "", &syntaxError{ref: ref}
			}
			l.malformed(ref)
			b.WriteString(text[j : j+3])
			i = j + 3
			continue
		}
		v, err := lookup(name)
		if err != nil {
			if _, ok := err.(*undefinedError); ok && l.undefined != nil {
				l.undefined(name)
				b.WriteString(text[j : k+2])
				i = k + 2
				continue
			}
			return "", err
		}
		b.WriteString(v)
		i = k + 2
	}
	return b.String(), nil
}

// malformedRef is the text of a malformed reference starting at j (the
// scan stopped at k): up to two characters past k, within the line.
func malformedRef(text string, j, k int) string {
	end := k + 2
	if end > len(text) {
		end = len(text)
	}
	if nl := strings.IndexByte(text[j:end], '\n'); nl >= 0 {
		end = j + nl
	}
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	return text[j:end]
}
