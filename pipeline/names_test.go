package pipeline

import (
	"regexp"
	"testing"
)

// The expressions the hand-written name checks replace.
var (
	packageNameExpr = regexp.MustCompile(`^[a-zA-Z\d][a-zA-Z\d+_.-]*$`)
	cpeFieldExpr    = regexp.MustCompile(`^[a-z\d][a-z\d+_.-]*$`)
	usesExpr        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$`)
)

var nameCases = []string{
	"", "a", "A", "0", "_", "-", ".", "+", "/", "//", "a/", "/a", "a//b", "a/b", "a/_b", "_a/b",
	"gcc-14", "py3.12-pip", "libstdc++", "Foo_Bar", "foo bar", "foo\n", "\nfoo", "é", "a\x00",
	"autoconf/configure", "go/build", "-a", ".a", "a/.b", "a/-b", "a/+b", "Ab/Cd/ef.g+h-i_j",
}

func checkNameAgree(t *testing.T, s string) {
	t.Helper()
	if got, want := validPackageName(s), packageNameExpr.MatchString(s); got != want {
		t.Errorf("validPackageName(%q) = %v, expression says %v", s, got, want)
	}
	if got, want := validCPEField(s), cpeFieldExpr.MatchString(s); got != want {
		t.Errorf("validCPEField(%q) = %v, expression says %v", s, got, want)
	}
	if got, want := validUsesName(s), usesExpr.MatchString(s); got != want {
		t.Errorf("validUsesName(%q) = %v, expression says %v", s, got, want)
	}
}

func TestNameRulesMatchExpressions(t *testing.T) {
	for _, s := range nameCases {
		checkNameAgree(t, s)
	}
}

func FuzzNameRules(f *testing.F) {
	for _, s := range nameCases {
		f.Add(s)
	}
	f.Fuzz(checkNameAgree)
}
