package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/pestle-dev/pestle/pipeline/builtin"
)

// Library finds the pipeline definitions that uses: names: first in each
// of Dirs (<dir>/<name>.yaml, in order), then in FS (the embedded built-in
// library unless set otherwise). Parsed definitions are kept for the life
// of the Library; it is safe for concurrent use.
type Library struct {
	Dirs []string
	FS   fs.FS

	mu   sync.Mutex
	defs map[string]*definition
}

// definition is a parsed pipeline definition file.
type definition struct {
	spec *StepSpec
	file string // name used in errors: the path, or "builtin:<name>.yaml"
	err  error
}

// NewLibrary returns a library searching dirs, then the built-in library.
func NewLibrary(dirs ...string) *Library {
	return &Library{Dirs: dirs, FS: builtin.FS}
}

// lookup returns the parsed definition of uses.
func (l *Library) lookup(uses string) (*definition, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d, ok := l.defs[uses]; ok {
		return d, d.err
	}
	if l.defs == nil {
		l.defs = map[string]*definition{}
	}
	d := l.load(uses)
	l.defs[uses] = d
	return d, d.err
}

func (l *Library) load(uses string) *definition {
	if msg := checkUsesName(uses); msg != "" {
		return &definition{err: errors.New(msg)}
	}
	for _, dir := range l.Dirs {
		file := filepath.Join(dir, filepath.FromSlash(uses)+".yaml")
		data, err := readRegularYAMLFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return &definition{err: fmt.Errorf("reading pipeline %q: %w", uses, err)}
		}
		return parseDefinition(data, file)
	}
	if l.FS == builtin.FS {
		// Parsed ahead of time: what the YAML gives, without parsing it
		// in every process (builtinspec.go).
		if spec := builtinSpec(uses); spec != nil {
			return &definition{spec: spec, file: "builtin:" + uses + ".yaml"}
		}
	}
	if l.FS != nil {
		data, err := fs.ReadFile(l.FS, uses+".yaml")
		if err == nil {
			return parseDefinition(data, "builtin:"+uses+".yaml")
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return &definition{err: fmt.Errorf("reading built-in pipeline %q: %w", uses, err)}
		}
	}
	where := "the built-in library"
	if len(l.Dirs) > 0 {
		where = strings.Join(l.Dirs, ", ") + " or the built-in library"
	}
	return &definition{err: &Error{Msg: fmt.Sprintf("pipeline %q not found in %s", uses, where), Hint: suggest(uses, l.names())}}
}

func parseDefinition(data []byte, file string) *definition {
	spec := &StepSpec{}
	list := decodeYAML(data, file, spec)
	if len(list) == 0 {
		e := &errs{file: file}
		validateSteps(e, []StepSpec{*spec}, "pipeline")
		list = e.list
	}
	if err := list.Err(); err != nil {
		return &definition{file: file, err: err}
	}
	return &definition{spec: spec, file: file}
}

// names lists every pipeline the library can find (for hints).
func (l *Library) names() []string {
	seen := map[string]bool{}
	add := func(fsys fs.FS) {
		_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && path.Ext(p) == ".yaml" {
				seen[strings.TrimSuffix(p, ".yaml")] = true
			}
			return nil
		})
	}
	for _, dir := range l.Dirs {
		add(os.DirFS(dir))
	}
	if l.FS != nil {
		add(l.FS)
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
