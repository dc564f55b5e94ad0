package pipeline

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func condLookup(name string) (string, error) {
	switch name {
	case "build.arch":
		return "x86_64", nil
	case "range.key":
		return "3.10", nil
	case "vars.quote":
		return `it's "quoted"`, nil
	}
	return "", &undefinedError{name: name}
}

func TestEvalCondition(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"${{build.arch}} == 'x86_64'", true},
		{"${{build.arch}} == \"x86_64\"", true},
		{"${{build.arch}} != 'x86_64'", false},
		{"${{ build.arch }} == 'aarch64'", false},
		{"$<<build.arch>> == 'x86_64'", true},
		{"'x86_64' == ${{build.arch}}", true},
		{"\"${{range.key}}\" == '3.10'", true},
		{"'py${{range.key}}' != 'py3.9'", true},
		{"${{vars.quote}} == 'it\\'s \"quoted\"'", true},
		// Equal precedence, left to right.
		{"'a' == 'a' || 'a' == 'b' && 'a' == 'b'", false},
		{"'a' == 'a' || ('a' == 'b' && 'a' == 'b')", true},
		{"'a' == 'b' && 'a' == 'b' || 'a' == 'a'", true},
		{"('a' == 'b')||('c' == 'c')", true},
		{"(('a' == 'a'))", true},
		{"  'x'=='x'  ", true},
		{"'a\\tb' == 'a\tb'", true},
		{"'a\\nb' == 'a\nb'", true},
		{"'a\\qb' == 'a\\\\qb'", true},
		{"'' == \"\"", true},
	} {
		got, err := EvalCondition(tc.expr, condLookup)
		if err != nil || got != tc.want {
			t.Errorf("EvalCondition(%q) = %v, %v; want %v", tc.expr, got, err, tc.want)
		}
	}
}

func TestEvalConditionErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "condition ends"},
		{"${{build.arch}}", "expected '==' or '!='"},
		{"${{build.arch}} = 'x'", "expected '==' or '!='"},
		{"'a' == ", "condition ends"},
		{"'a == 'b'", "expected '==' or '!='"},
		{"'a' == 'b", "unterminated quoted value"},
		{"('a' == 'b'", "expected ')'"},
		{"'a' == 'b')", "unexpected"},
		{"'a' == 'b' &&", "condition ends"},
		{"'a' == 'b' and 'c' == 'c'", "unexpected"},
		{"true", "expected a quoted value"},
		{"!('a' == 'b')", "expected a quoted value"},
		{"${{build.arch == 'x'", "unterminated variable reference"},
		{"${{nope}} == 'x'", "undefined variable"},
		{strings.Repeat("(", 200) + "'a' == 'a'" + strings.Repeat(")", 200), "nested too deeply"},
	} {
		_, err := EvalCondition(tc.expr, condLookup)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("EvalCondition(%q) error = %v; want it to contain %q", tc.expr, err, tc.want)
		}
	}
	var ce *condError
	if _, err := EvalCondition("'a' = 'b'", condLookup); !errors.As(err, &ce) || ce.Offset != 4 {
		t.Errorf("offset: %#v", err)
	}
}

// FuzzEvalCondition checks that the if: parser never panics and that its
// results obey the algebra of its operators: parenthesizing an expression,
// or joining it with a true comparison by &&, or a false one by ||, keeps
// its value.
func FuzzEvalCondition(f *testing.F) {
	for _, s := range []string{
		"${{build.arch}} == 'x86_64'", "'a' == 'a' || 'a' == 'b' && 'a' == 'b'",
		"(\"${{range.key}}\" != '3.9')", "'a\\'b' == \"a'b\"", "((", "'", "${{", "a == b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		v, err := EvalCondition(expr, condLookup)
		if err != nil {
			return
		}
		for _, form := range []string{"(%s)", "%s && 'x' == 'x'", "%s || 'x' == 'y'", "'x' == 'x' && (%s)"} {
			w, err := EvalCondition(fmt.Sprintf(form, expr), condLookup)
			if err != nil || w != v {
				t.Fatalf("%q = %v, but %q = %v, %v", expr, v, fmt.Sprintf(form, expr), w, err)
			}
		}
	})
}
