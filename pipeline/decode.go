package pipeline

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Where records where a YAML mapping sits in its file and where each of
// its values sits, so later stages can point at the exact field.
type Where struct {
	Pos
	keys map[string]Pos
}

// Key returns the position of the value of key, or of the mapping itself
// when the key is absent.
func (w Where) Key(key string) Pos {
	if p, ok := w.keys[key]; ok {
		return p
	}
	return w.Pos
}

// Has reports whether the mapping spelled out key.
func (w Where) Has(key string) bool {
	_, ok := w.keys[key]
	return ok
}

// maxNodes bounds how many YAML nodes one file may expand to (aliases
// included), so a hostile "billion laughs" document fails fast.
const maxNodes = 2_000_000

// decodeYAML strictly decodes data (the contents of file) into out, a
// pointer to a struct. Every unknown key, duplicate key and wrongly shaped
// value is reported, not only the first.
func decodeYAML(data []byte, file string, out any) ErrorList {
	e := &errs{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			e.at(Pos{}, "", "empty file: a recipe needs at least a package section")
		} else {
			e.add(yamlSyntaxError(file, data, err))
		}
		return e.list
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		e.at(Pos{extra.Line, extra.Column}, "remove the second document or split the file", "more than one YAML document")
	} else if !errors.Is(err, io.EOF) {
		e.add(yamlSyntaxError(file, data, err))
	}
	if len(doc.Content) == 0 {
		e.at(Pos{}, "", "empty file: a recipe needs at least a package section")
		return e.list
	}
	d := &decoder{e: e, budget: maxNodes}
	d.value(doc.Content[0], reflect.ValueOf(out).Elem(), "")
	return e.list
}

// yamlLineRE is compiled on first use: only a syntax error needs it.
var yamlLineRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

func yamlSyntaxError(file string, data []byte, err error) *Error {
	msg := err.Error()
	if m := yamlLineRE().FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if strings.Contains(m[2], "tab character") || strings.Contains(m[2], "cannot start any token") {
			// The parser names the line where the block began; the tab
			// may be on a later line.
			if l := tabIndent(data, line); l > 0 {
				return &Error{File: file, Line: l, Col: 1, Msg: "invalid YAML: a tab in the indentation",
					Hint: "indent with spaces: YAML does not allow tabs there"}
			}
			if strings.Contains(m[2], "tab character") {
				return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2],
					Hint: "indent with spaces: YAML does not allow tabs in indentation"}
			}
		}
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// tabIndent returns the first line, from line from (1-based) on, that
// starts with a tab, or 0. It stops at a line with a tab after spaces in
// its indentation: there the tab may be a block scalar's content (a
// Makefile in a heredoc), while a tab in the first column is always
// indentation, so the line it names is certain.
func tabIndent(data []byte, from int) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 < from {
			continue
		}
		lead := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		switch {
		case len(lead) > 0 && lead[0] == '\t':
			return i + 1
		case bytes.IndexByte(lead, '\t') >= 0:
			return 0
		}
	}
	return 0
}

type decoder struct {
	e      *errs
	budget int
	spent  bool
}

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func where(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	whereType = reflect.TypeOf(Where{})
	posMapTyp = reflect.TypeOf(map[string]Pos{})
)

// value decodes n into v, reporting problems under path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if d.budget--; d.budget < 0 {
		if !d.spent {
			d.spent = true
			d.e.at(posOf(n), "", "document expands to too many nodes (aliases?)")
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.structValue(n, v, path)
	case reflect.Map:
		d.mapValue(n, v, path)
	case reflect.Slice:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.e.at(posOf(n), "", "%s must be a list, got %s", where(path), kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.value(c, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.String:
		if !d.scalar(n, path, "a string") {
			return
		}
		if !isNull(n) {
			v.SetString(n.Value)
		}
	case reflect.Bool:
		if !d.scalar(n, path, "true or false") || isNull(n) {
			return
		}
		switch n.Value {
		case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y":
			v.SetBool(true)
		case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N":
			v.SetBool(false)
		default:
			d.e.at(posOf(n), "", "%s must be true or false, got %q", where(path), n.Value)
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		if !d.scalar(n, path, "an integer") || isNull(n) {
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil {
			d.e.at(posOf(n), "", "%s must be an integer, got %q", where(path), n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		if !d.scalar(n, path, "a non-negative integer") || isNull(n) {
			return
		}
		u, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, v.Type().Bits())
		if err != nil {
			d.e.at(posOf(n), "", "%s must be a non-negative integer, got %q", where(path), n.Value)
			return
		}
		v.SetUint(u)
	default:
		panic("pipeline: cannot decode into " + v.Type().String())
	}
}

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind == yaml.ScalarNode {
		return true
	}
	d.e.at(posOf(n), "", "%s must be %s, got %s", where(path), want, kindName(n))
	return false
}

// mapValue decodes a mapping with string keys; keys keep their YAML text.
func (d *decoder) mapValue(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.e.at(posOf(n), "", "%s must be a mapping, got %s", where(path), kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	seen := map[string]Pos{}
	d.pairs(n, path, func(k, val *yaml.Node) {
		if p, dup := seen[k.Value]; dup {
			d.e.at(posOf(k), "", "duplicate key %q in %s (first at line %d)", k.Value, where(path), p.Line)
			return
		}
		seen[k.Value] = posOf(k)
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(val, elem, join(path, k.Value))
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	})
}

// pairs calls fn for each key/value of a mapping. Keys merged in with
// "<<" come first and lose to explicit keys (and to earlier merges).
func (d *decoder) pairs(n *yaml.Node, path string, fn func(k, v *yaml.Node)) {
	if !hasMerge(n) {
		// The common case, in document order without the bookkeeping.
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := scalarKey(n.Content[i]); k != nil {
				fn(k, n.Content[i+1])
			} else {
				d.badKey(n.Content[i], path)
			}
		}
		return
	}
	explicit := map[string]bool{}
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := scalarKey(n.Content[i]), n.Content[i+1]
		if k == nil {
			d.badKey(n.Content[i], path)
			continue
		}
		if k.Tag != "!!merge" {
			explicit[k.Value] = true
			own = append(own, [2]*yaml.Node{k, val})
			continue
		}
		for val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		srcs := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			srcs = val.Content
		}
		for _, s := range srcs {
			for s.Kind == yaml.AliasNode && s.Alias != nil {
				s = s.Alias
			}
			if s.Kind != yaml.MappingNode {
				d.e.at(posOf(s), "", "a << merge in %s must name a mapping", where(path))
				continue
			}
			d.pairs(s, path, func(k, v *yaml.Node) { merged = append(merged, [2]*yaml.Node{k, v}) })
		}
	}
	done := map[string]bool{}
	for _, kv := range merged {
		if k := kv[0].Value; !explicit[k] && !done[k] {
			done[k] = true
			fn(kv[0], kv[1])
		}
	}
	for _, kv := range own {
		fn(kv[0], kv[1])
	}
}

// hasMerge reports whether a mapping has a "<<" merge key.
func hasMerge(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := scalarKey(n.Content[i]); k != nil && k.Tag == "!!merge" {
			return true
		}
	}
	return false
}

// scalarKey returns the key node k stands for (through aliases), or nil
// when that is not a scalar.
func scalarKey(k *yaml.Node) *yaml.Node {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return nil
	}
	return k
}

func (d *decoder) badKey(k *yaml.Node, path string) {
	for k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	d.e.at(posOf(k), "", "keys in %s must be plain text, got %s", where(path), kindName(k))
}

type structInfo struct {
	fields map[string]int // yaml key -> field index
	keys   []string       // known keys, sorted (for hints)
	where  int            // index of the Where field, or -1
	keyPos map[string]int // yaml key -> index of its map[string]Pos field
}

var structInfos sync.Map // reflect.Type -> *structInfo

func infoOf(t reflect.Type) *structInfo {
	if si, ok := structInfos.Load(t); ok {
		return si.(*structInfo)
	}
	si := &structInfo{fields: map[string]int{}, where: -1, keyPos: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == whereType {
			si.where = i
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			if p := f.Tag.Get("pos"); p != "" && f.Type == posMapTyp {
				si.keyPos[p] = i
			}
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || !f.IsExported() {
			continue
		}
		si.fields[name] = i
		si.keys = append(si.keys, name)
	}
	sort.Strings(si.keys)
	structInfos.Store(t, si)
	return si
}

func (d *decoder) structValue(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.e.at(posOf(n), "", "%s must be a mapping, got %s", where(path), kindName(n))
		return
	}
	si := infoOf(v.Type())
	w := Where{Pos: posOf(n), keys: map[string]Pos{}}
	seen := map[string]Pos{}
	d.pairs(n, path, func(k, val *yaml.Node) {
		key := k.Value
		if p, dup := seen[key]; dup {
			d.e.at(posOf(k), "", "duplicate key %q in %s (first at line %d)", key, where(path), p.Line)
			return
		}
		seen[key] = posOf(k)
		fi, ok := si.fields[key]
		if !ok {
			d.e.at(posOf(k), suggest(key, si.keys), "unknown key %q in %s", key, where(path))
			return
		}
		w.keys[key] = posOf(val)
		d.value(val, v.Field(fi), join(path, key))
		if pi, ok := si.keyPos[key]; ok {
			v.Field(pi).Set(reflect.ValueOf(keyPositions(val)))
		}
	})
	if si.where >= 0 {
		v.Field(si.where).Set(reflect.ValueOf(w))
	}
}

// keyPositions maps each key of a mapping node to its position.
func keyPositions(n *yaml.Node) map[string]Pos {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	m := make(map[string]Pos, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = posOf(n.Content[i])
	}
	return m
}
