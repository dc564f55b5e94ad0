package pipeline

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Recipe {
	t.Helper()
	r, err := Parse([]byte(src), "r.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

func TestParseKeepsScalarText(t *testing.T) {
	r := mustParse(t, `
package:
  name: p
  version: 1.10
  epoch: 0x0a
vars:
  int: 010
  float: 1.50
  yes: yes
  null:
data:
  - name: d
    items:
      3.10: a
      1e3: b
pipeline:
  - uses: fetch
    with:
      extract: False
      strip-components: 0
      multi: |
        --a \
        --b
`)
	if r.Package.Version != "1.10" || r.Package.Epoch != 10 {
		t.Errorf("version %q epoch %d", r.Package.Version, r.Package.Epoch)
	}
	for k, want := range map[string]string{"int": "010", "float": "1.50", "yes": "yes", "null": ""} {
		if got, ok := r.Vars[k]; !ok || got != want {
			t.Errorf("vars.%s = %q (present %v), want %q", k, got, ok, want)
		}
	}
	if _, ok := r.Data[0].Items["3.10"]; !ok {
		t.Errorf("data keys: %v", r.Data[0].Items)
	}
	if _, ok := r.Data[0].Items["1e3"]; !ok {
		t.Errorf("data keys: %v", r.Data[0].Items)
	}
	w := r.Pipeline[0].With
	if w["extract"] != "False" || w["strip-components"] != "0" || w["multi"] != "--a \\\n--b\n" {
		t.Errorf("with: %q", w)
	}
	if p := r.Pipeline[0].WithPos["extract"]; p.Line != 19 || p.Col != 7 {
		t.Errorf("with position: %+v", p)
	}
	if p := r.Pipeline[0].At.Key("uses"); p.Line != 17 || p.Col != 11 {
		t.Errorf("uses position: %+v", p)
	}
}

func TestParseReportsAllErrors(t *testing.T) {
	_, err := Parse([]byte(`
package:
  name: p
  version: 1
  descripton: x
pipline: []
subpackages:
  - name: s
    pipeline:
      - runz: x
`), "melange.yaml")
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	want := []string{
		`melange.yaml:5:3: unknown key "descripton" in package; did you mean "description"?`,
		`melange.yaml:6:1: unknown key "pipline" in the top level; did you mean "pipeline"?`,
		`melange.yaml:10:9: unknown key "runz" in subpackages[0].pipeline[0]; did you mean "runs"?`,
	}
	for i, w := range want {
		if list[i].Error() != w {
			t.Errorf("error %d = %q, want %q", i, list[i], w)
		}
	}
	var one *Error
	if !errors.As(err, &one) || one.Line != 5 {
		t.Errorf("errors.As(*Error) = %v", one)
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "empty file"},
		{"package: {name: a, version: 1}\n---\npackage: {name: b}\n", "more than one YAML document"},
		{"package: [", "invalid YAML"},
		{"package:\n  name: a\n  version: 1\n  name: b\n", `duplicate key "name"`},
		{"package:\n  name: a\n  version: 1\nvars: {a: 1, a: 2}\n", `duplicate key "a"`},
		{"package:\n  name: a\n  version: 1\n  epoch: -1\n", "non-negative integer"},
		{"package:\n  name: a\n  version: 1\noptions:\n  x:\n    vars: [1]\n", "must be a mapping"},
		{"package:\n  name: a\n  version: 1\npipeline:\n  - uses: x\n    runs: y\n", "both uses"},
		{"pipeline: []\n", "no package section"},
		{"package:\n  version: 1\n", "package.name is required"},
		{"a: &a [*a]\n", "unknown key"},
	} {
		_, err := Parse([]byte(tc.src), "r.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", tc.src, err, tc.want)
		}
	}
}

// TestParseTabsSayWhere: a tab that starts a line is placed there (the
// YAML parser names the line where the block began), with the fix; a tab
// after spaces, which may be a block scalar's content, leaves the
// parser's line, with the fix.
func TestParseTabsSayWhere(t *testing.T) {
	heredoc := "package:\n  name: x\n  version: 1\npipeline:\n  - runs: |\n      cat > Makefile <<EOF\n      all:\n      \techo hi\n      EOF\n  \t- runs: echo\n"
	for _, tc := range []struct{ src, want string }{
		{"package:\n  name: x\n\tversion: 1\n", "r.yaml:3:1: invalid YAML: a tab in the indentation; indent with spaces"},
		{"a:\n\tb: 1\n", "r.yaml:2:1: invalid YAML: a tab in the indentation"},
		{"a:\n  b: 1\n  c:\n    - d\n\t- e\n", "r.yaml:5:1: invalid YAML: a tab in the indentation"},
		{"package:\n  name: x\n  version: 1\npipeline:\n  - runs: |\n      echo\n  \t\techo\n",
			"r.yaml:5: invalid YAML: found a tab character where an indentation space is expected; indent with spaces"},
		{heredoc, "invalid YAML: found a tab character"},
		{"a: 1\nb: [1, 2\nc: 3\n", "r.yaml:1: invalid YAML: did not find expected ',' or ']'"},
	} {
		_, err := Parse([]byte(tc.src), "r.yaml")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v; want %q", tc.src, err, tc.want)
		}
	}
	// The Makefile's tab is content: never named as the culprit.
	if _, err := Parse([]byte(heredoc), "r.yaml"); err != nil && strings.Contains(err.Error(), "r.yaml:8:") {
		t.Errorf("the heredoc's tab was blamed: %v", err)
	}
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("package: {name: a, version: 1}\nvars:\n  x0: &x0 a\n")
	b.WriteString("data:\n  - name: d0\n    items: &d0 {a: b}\n")
	prev := "d0"
	for i := 1; i < 30; i++ {
		name := "d" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		b.WriteString("  - name: " + name + "\n    items:\n      <<: [*" + prev + ", *" + prev + "]\n")
		prev = name
	}
	// Must finish quickly, with or without errors.
	_, _ = Parse([]byte(b.String()), "bomb.yaml")
}

// FuzzParse feeds arbitrary bytes to the strict recipe parser: it must
// return a recipe or errors, never panic or hang.
func FuzzParse(f *testing.F) {
	f.Add([]byte("package:\n  name: a\n  version: 1.10\npipeline:\n  - runs: echo\n"))
	f.Add([]byte("package: {name: a, version: 1}\nsubpackages:\n  - name: b\n    range: d\ndata:\n  - name: d\n    items: {x: y}\n"))
	f.Add([]byte("a: &x [*x, *x]\n"))
	f.Add([]byte("package:\n  <<: {name: a}\n  version: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data, "fuzz.yaml")
		if err == nil && r == nil {
			t.Fatal("nil recipe without error")
		}
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is not a non-empty ErrorList: %v", err)
			}
		}
	})
}
