package sca

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Limits for reading .pc files, which are untrusted input.
const (
	maxPCSize   = 1 << 20 // bytes of one .pc file
	maxPCExpand = 4 << 20 // bytes produced by ${var} expansion in one file
)

var errPCTooBig = errors.New("variable expansion exceeds 4 MiB")

// pcRequireKeys are the keywords whose modules the package needs.
var pcRequireKeys = []string{"requires", "requires.private", "requires.internal"}

// pcModule is one parsed .pc file: its variables and keyword fields
// (keyword names lower-cased, values with variables expanded).
type pcModule struct {
	vars   map[string]string
	fields map[string]string
	budget int
}

// parsePC parses the text of a .pc file: "name=value" variables and
// "Keyword: value" fields, '#' comments (unless escaped as \#) and
// backslash-newline continuations. Lines that are neither are skipped.
func parsePC(data []byte) (*pcModule, error) {
	m := &pcModule{vars: map[string]string{}, fields: map[string]string{}, budget: maxPCExpand}
	data = bytes.ReplaceAll(data, []byte("\\\r\n"), nil)
	data = bytes.ReplaceAll(data, []byte("\\\n"), nil)
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		i := strings.IndexFunc(line, func(r rune) bool { return !isPCIdent(r) })
		if i <= 0 {
			continue
		}
		key := line[:i]
		rest := strings.TrimLeft(line[i:], " \t")
		if rest == "" {
			continue
		}
		val, err := m.expand(strings.TrimSpace(rest[1:]))
		if err != nil {
			return nil, err
		}
		switch rest[0] {
		case '=':
			m.vars[key] = val
		case ':':
			m.fields[strings.ToLower(key)] = val
		}
	}
	return m, nil
}

func isPCIdent(r rune) bool {
	return r == '_' || r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// stripComment cuts line at the first '#' that is not escaped as "\#"
// and turns "\#" into "#".
func stripComment(line string) string {
	if !strings.Contains(line, "#") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '#':
			b.WriteByte('#')
			i++
		case line[i] == '#':
			return b.String()
		default:
			b.WriteByte(line[i])
		}
	}
	return b.String()
}

// expand replaces ${name} with the variable's value (empty when it is not
// defined) and "$$" with "$". Values are stored expanded, so one pass is
// enough; the budget bounds the work a hostile file can cause.
func (m *pcModule) expand(s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$' && i+1 < len(s) && s[i+1] == '$':
			b.WriteByte('$')
			i++
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				b.WriteString(s[i:])
				i = len(s)
				continue
			}
			v := m.vars[s[i+2:i+2+end]]
			m.budget -= len(v)
			if m.budget < 0 {
				return "", errPCTooBig
			}
			b.WriteString(v)
			i += end + 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// requires lists the module names of the Requires fields in order: the
// versions and operators ("glib-2.0 >= 2.50, zlib") are left out.
func (m *pcModule) requires() []string {
	var names []string
	for _, key := range pcRequireKeys {
		names = append(names, pcModuleNames(m.fields[key])...)
	}
	return names
}

// pcModuleNames splits a module list: names separated by commas or
// spaces, each optionally followed by an operator and a version, written
// with or without spaces ("foo>=1.0", "foo >= 1.0").
func pcModuleNames(list string) []string {
	var names []string
	words := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for i := 0; i < len(words); i++ {
		w := words[i]
		op := strings.IndexAny(w, "<>=!")
		switch {
		case op == 0: // a lone operator: the next word is its version
			if strings.TrimLeft(w, "<>=!") == "" {
				i++
			}
		case op > 0:
			names = append(names, w[:op])
		default:
			names = append(names, w)
		}
	}
	return names
}

// pkgConfig records what the .pc file at p provides and needs.
func (s *scan) pkgConfig(p string, f *os.File) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		s.log.Warn("sca: cannot read pkg-config file", "path", p, "err", err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPCSize+1))
	if err == nil && len(data) > maxPCSize {
		err = fmt.Errorf("larger than %d bytes", maxPCSize)
	}
	var m *pcModule
	if err == nil {
		m, err = parsePC(data)
	}
	if err != nil {
		s.log.Warn("sca: cannot read pkg-config file", "path", p, "err", err)
		return
	}
	name := strings.TrimSuffix(path.Base(p), ".pc")
	if name == "" {
		return
	}
	if !inDir(p, pcDirs) {
		s.add(s.vendored, "pc:"+name+"="+s.opts.Version, p+" (not in a pkg-config dir)")
		return
	}
	s.add(s.provides, "pc:"+name+"="+s.opts.Version, p)
	for _, req := range m.requires() {
		if s.addDep("pc:"+req, "Requires of "+p) {
			s.versioned("pc:"+req, "pc:"+req, "Requires of "+p)
		}
	}
}
