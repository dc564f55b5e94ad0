package sca

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the package inside its layer: of pestle it may use
// only apk and apk/version.
func TestImports(t *testing.T) {
	const mod = "github.com/pestle-dev/pestle/"
	allowed := map[string]bool{mod + "apk": true, mod + "apk/version": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(p, mod) && !allowed[p] {
				t.Errorf("%s imports %s: pipeline/sca may import only apk and apk/version", name, p)
			}
			if strings.Contains(p, ".") && !strings.HasPrefix(p, mod) {
				t.Errorf("%s imports %s: pipeline/sca uses the standard library only", name, p)
			}
		}
	}
}
