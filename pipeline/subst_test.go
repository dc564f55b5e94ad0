package pipeline

import (
	"errors"
	"strings"
	"testing"
)

func testScope() *Scope {
	sc := NewScope(nil)
	sc.Set("package.name", "hello")
	sc.Set("package.version", "1.10")
	sc.define("vars.dir", "/opt/${{package.name}}", nil, "vars.dir", "r.yaml", Pos{5, 3})
	sc.define("vars.deep", "${{vars.dir}}/$<<package.version>>", nil, "vars.deep", "r.yaml", Pos{6, 3})
	return sc
}

func TestExpand(t *testing.T) {
	sc := testScope()
	for _, tc := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"", ""},
		{"${{package.name}}", "hello"},
		{"${{ package.name }}", "hello"},
		{"${{\tpackage.name\t}}", "hello"},
		{"$<<package.name>>", "hello"},
		{"$<< package.name >>", "hello"},
		{"a-${{package.name}}-${{package.version}}-b", "a-hello-1.10-b"},
		{"$HOME ${PATH} $$ $ {{x}} $<x", "$HOME ${PATH} $$ $ {{x}} $<x"},
		{"${{vars.dir}}/bin", "/opt/hello/bin"},
		{"${{vars.deep}}", "/opt/hello/1.10"},
		{"naïve ${{package.name}} ✓", "naïve hello ✓"},
	} {
		got, err := sc.Expand(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestExpandErrors(t *testing.T) {
	sc := testScope()
	for _, tc := range []struct{ in, want string }{
		{"${{package.nme}}", `undefined variable "package.nme"`},
		{"${{package.name}", `malformed variable reference "${{package.name}"`},
		{"${{}}", `malformed variable reference "${{}}"`},
		{"${{ a b }}", `malformed variable reference`},
		{"tail ${{", `malformed variable reference "${{"`},
		{"$<<package.name}}", `malformed variable reference`},
	} {
		_, err := sc.Expand(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Expand(%q) error = %v; want it to contain %q", tc.in, err, tc.want)
		}
	}
	var u *undefinedError
	if _, err := sc.Expand("${{package.nme}}"); !errors.As(err, &u) || u.hint != `did you mean "package.name"?` {
		t.Errorf("undefined variable hint: %#v", err)
	}
}

func TestScopeLexical(t *testing.T) {
	base := NewScope(nil)
	base.Set("targets.contextdir", "/main")
	base.define("vars.ctx", "${{targets.contextdir}}", nil, "vars.ctx", "r.yaml", Pos{})
	sub := NewScope(base)
	sub.Set("targets.contextdir", "/sub")
	sub.define("range.value", "${{targets.contextdir}}", nil, "data", "r.yaml", Pos{})
	// vars resolve where they were written (the package scope); values
	// defined in the subpackage scope see the subpackage's variables.
	if v, _ := sub.Get("vars.ctx"); v != "/main" {
		t.Errorf("vars.ctx in subpackage = %q, want /main", v)
	}
	if v, _ := sub.Get("range.value"); v != "/sub" {
		t.Errorf("range.value = %q, want /sub", v)
	}
}

func TestScopeCycle(t *testing.T) {
	sc := NewScope(nil)
	sc.define("vars.a", "${{vars.b}}", nil, "vars.a", "r.yaml", Pos{3, 3})
	sc.define("vars.b", "x${{vars.a}}", nil, "vars.b", "r.yaml", Pos{4, 3})
	_, err := sc.Get("vars.a")
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "refers to itself") {
		t.Fatalf("cycle: got %v", err)
	}
	// The scope stays usable after the failure.
	sc.Set("vars.b", "fixed")
	if v, err := sc.Get("vars.a"); err != nil || v != "fixed" {
		t.Errorf("after fixing: %q, %v", v, err)
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    Error
		want string
	}{
		{Error{File: "melange.yaml", Line: 12, Col: 5, Msg: `unknown key "pipline" in package`, Hint: `did you mean "pipeline"?`},
			`melange.yaml:12:5: unknown key "pipline" in package; did you mean "pipeline"?`},
		{Error{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Error{File: "a.yaml", Msg: "bad"}, "a.yaml: bad"},
		{Error{Msg: "bad"}, "bad"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"pipeline", "package", "subpackages", "working-directory", "with"}
	for _, tc := range []struct{ word, want string }{
		{"pipline", "pipeline"},
		{"pakage", "package"},
		{"working_directory", "working-directory"},
		{"working-dir", "working-directory"},
		{"wiht", "with"},
		{"zzzzzz", ""},
		{"x", ""},
	} {
		got := suggest(tc.word, keys)
		want := ""
		if tc.want != "" {
			want = `did you mean "` + tc.want + `"?`
		}
		if got != want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, want)
		}
	}
}

// FuzzExpand checks that substitution never panics, that a successful
// expansion leaves no reference behind when values hold none, and that
// text without "$" comes back unchanged.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"${{package.name}}", "$<<vars.dir>>", "${{ x }}", "${{", "$<<", "a$b${{c}}d", "${{package.name}", "${{vars.deep}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		sc := testScope()
		out, err := sc.Expand(in)
		if err != nil {
			return
		}
		if strings.Contains(out, "${{") || strings.Contains(out, "$<<") {
			// Only possible when the input builds a reference out of a
			// "$" followed by a value's text; our values start with "/",
			// "h" or "1", so this means a reference survived.
			t.Fatalf("Expand(%q) = %q still holds a reference", in, out)
		}
		if !strings.Contains(in, "$") && out != in {
			t.Fatalf("Expand(%q) changed text without references: %q", in, out)
		}
	})
}

// FuzzExpandLenient checks the leniency melange has: when nothing is
// defined and both malformed and undefined references are let through,
// any text comes back exactly as written, and every reference kept is
// reported once.
func FuzzExpandLenient(f *testing.F) {
	for _, s := range []string{"${{package.name} users", "${{range.key == x}}", "${{ vars.x }}", "${{", "$<<a>>", "x ${{a}} ${{b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		kept := 0
		l := leniency{malformed: func(string) { kept++ }, undefined: func(string) { kept++ }}
		out, err := expandSome(in, func(name string) (string, error) { return "", &undefinedError{name: name} }, l)
		if err != nil {
			t.Fatalf("expandSome(%q) failed although everything is lenient: %v", in, err)
		}
		if out != in {
			t.Fatalf("expandSome(%q) = %q; want the text unchanged", in, out)
		}
		if refs := strings.Count(in, "${{") + strings.Count(in, "$<<"); kept != refs {
			t.Fatalf("expandSome(%q) reported %d kept references, want %d", in, kept, refs)
		}
	})
}

func TestExpandLenient(t *testing.T) {
	sc := testScope()
	var malformed, undefined []string
	l := leniency{
		malformed: func(r string) { malformed = append(malformed, r) },
		undefined: func(n string) { undefined = append(undefined, n) },
	}
	got, err := expandSome("${{package.name} and ${{package.name}} and ${{vars.nope}} and ${{range.key ==", sc.Get, l)
	if err != nil {
		t.Fatal(err)
	}
	want := "${{package.name} and hello and ${{vars.nope}} and ${{range.key =="
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Join(malformed, "|") != "${{package.name} |${{range.key ==" || strings.Join(undefined, "|") != "vars.nope" {
		t.Errorf("malformed %q, undefined %q", malformed, undefined)
	}
	// Without leniency for undefined names, they stay errors.
	if _, err := expandSome("${{vars.nope}}", sc.Get, leniency{malformed: l.malformed}); err == nil {
		t.Error("an undefined name was accepted without leniency for it")
	}
}
