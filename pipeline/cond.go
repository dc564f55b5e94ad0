package pipeline

import (
	"fmt"
	"strings"
)

// condError is a syntax error in an if: expression; Offset is a byte
// offset into the expression.
type condError struct {
	Offset int
	Msg    string
}

func (e *condError) Error() string {
	return fmt.Sprintf("%s at column %d", e.Msg, e.Offset+1)
}

// EvalCondition evaluates an if: expression with melange's semantics:
// operands are quoted literals ('…' or "…", with \\ \' \" \n \t escapes)
// or variables (${{name}} or $<<name>>); == and != compare them; && and ||
// combine comparisons with equal precedence, strictly left to right;
// parentheses group. There is no negation and no bare truth value.
// References inside quoted literals ("${{range.key}}") are expanded too.
func EvalCondition(expr string, lookup func(string) (string, error)) (bool, error) {
	p := &condParser{in: expr, lookup: lookup}
	v, err := p.expr(0)
	if err != nil {
		return false, err
	}
	p.space()
	if p.pos != len(p.in) {
		return false, &condError{p.pos, fmt.Sprintf("unexpected %q", p.rest())}
	}
	return v, nil
}

type condParser struct {
	in     string
	pos    int
	lookup func(string) (string, error)
}

// maxCondDepth bounds parenthesis nesting.
const maxCondDepth = 100

func (p *condParser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *condParser) rest() string {
	r := p.in[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "…"
	}
	return r
}

func (p *condParser) expr(depth int) (bool, error) {
	v, err := p.atom(depth)
	if err != nil {
		return false, err
	}
	for {
		p.space()
		switch {
		case strings.HasPrefix(p.in[p.pos:], "&&"):
			p.pos += 2
			r, err := p.atom(depth)
			if err != nil {
				return false, err
			}
			v = v && r
		case strings.HasPrefix(p.in[p.pos:], "||"):
			p.pos += 2
			r, err := p.atom(depth)
			if err != nil {
				return false, err
			}
			v = v || r
		default:
			return v, nil
		}
	}
}

func (p *condParser) atom(depth int) (bool, error) {
	p.space()
	if p.pos < len(p.in) && p.in[p.pos] == '(' {
		if depth >= maxCondDepth {
			return false, &condError{p.pos, "parentheses nested too deeply"}
		}
		p.pos++
		v, err := p.expr(depth + 1)
		if err != nil {
			return false, err
		}
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ')' {
			return false, &condError{p.pos, "expected ')'"}
		}
		p.pos++
		return v, nil
	}
	lhs, err := p.value()
	if err != nil {
		return false, err
	}
	p.space()
	op := ""
	if p.pos+2 <= len(p.in) {
		op = p.in[p.pos : p.pos+2]
	}
	if op != "==" && op != "!=" {
		if p.pos >= len(p.in) {
			return false, &condError{p.pos, "expected '==' or '!=' but the condition ends"}
		}
		return false, &condError{p.pos, fmt.Sprintf("expected '==' or '!=', got %q", p.rest())}
	}
	p.pos += 2
	rhs, err := p.value()
	if err != nil {
		return false, err
	}
	if op == "==" {
		return lhs == rhs, nil
	}
	return lhs != rhs, nil
}

func (p *condParser) value() (string, error) {
	p.space()
	if p.pos >= len(p.in) {
		return "", &condError{p.pos, "expected a quoted value or a ${{variable}} but the condition ends"}
	}
	switch c := p.in[p.pos]; {
	case c == '\'' || c == '"':
		start := p.pos
		p.pos++
		var b strings.Builder
		for p.pos < len(p.in) && p.in[p.pos] != c {
			ch := p.in[p.pos]
			if ch == '\\' && p.pos+1 < len(p.in) {
				p.pos++
				switch e := p.in[p.pos]; e {
				case '\\', '\'', '"':
					b.WriteByte(e)
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte('\\')
					b.WriteByte(e)
				}
			} else {
				b.WriteByte(ch)
			}
			p.pos++
		}
		if p.pos >= len(p.in) {
			return "", &condError{start, "unterminated quoted value"}
		}
		p.pos++
		return expand(b.String(), p.lookup)
	case strings.HasPrefix(p.in[p.pos:], "${{") || strings.HasPrefix(p.in[p.pos:], "$<<"):
		closing := "}}"
		if p.in[p.pos+1] == '<' {
			closing = ">>"
		}
		start := p.pos
		end := strings.Index(p.in[p.pos+3:], closing)
		if end < 0 {
			return "", &condError{start, "unterminated variable reference"}
		}
		p.pos += 3 + end + 2
		return expand(p.in[start:p.pos], p.lookup)
	default:
		return "", &condError{p.pos, fmt.Sprintf("expected a quoted value or a ${{variable}}, got %q", p.rest())}
	}
}
