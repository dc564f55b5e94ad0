package version

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseDependency(t *testing.T) {
	cases := []struct {
		in   string
		want Dependency
		str  string // canonical String(); "" means same as in
	}{
		{"busybox", Dependency{Name: "busybox"}, ""},
		{"so:libc.musl-x86_64.so.1", Dependency{Name: "so:libc.musl-x86_64.so.1"}, ""},
		{"cmd:hello=2.12.1-r0", Dependency{Name: "cmd:hello", Op: EQ, Version: "2.12.1-r0"}, ""},
		{"/bin/sh", Dependency{Name: "/bin/sh"}, ""},
		{"pc:zlib>=1.2.11", Dependency{Name: "pc:zlib", Op: GE, Version: "1.2.11"}, ""},
		{"py3.10:setuptools=59.4.0-r0", Dependency{Name: "py3.10:setuptools", Op: EQ, Version: "59.4.0-r0"}, ""},
		{"foo<2", Dependency{Name: "foo", Op: LT, Version: "2"}, ""},
		{"foo<=2", Dependency{Name: "foo", Op: LE, Version: "2"}, ""},
		{"foo=<2", Dependency{Name: "foo", Op: LE, Version: "2"}, "foo<=2"},
		{"foo>2", Dependency{Name: "foo", Op: GT, Version: "2"}, ""},
		{"foo=>2", Dependency{Name: "foo", Op: GE, Version: "2"}, "foo>=2"},
		{"foo==2", Dependency{Name: "foo", Op: EQ, Version: "2"}, "foo=2"},
		{"foo~1.2", Dependency{Name: "foo", Op: Fuzzy, Version: "1.2"}, ""},
		{"foo=~1.2", Dependency{Name: "foo", Op: Fuzzy, Version: "1.2"}, "foo~1.2"},
		{"foo<~1.2", Dependency{Name: "foo", Op: FuzzyLE, Version: "1.2"}, ""},
		{"foo>~1.2", Dependency{Name: "foo", Op: FuzzyGE, Version: "1.2"}, ""},
		{"foo><Q1m6wB0UFePGN8Drz82pC8y2uAiu8=", Dependency{Name: "foo", Op: Checksum, Version: "Q1m6wB0UFePGN8Drz82pC8y2uAiu8="}, ""},
		{"foo<>Q1abc=", Dependency{Name: "foo", Op: Checksum, Version: "Q1abc="}, "foo><Q1abc="},
		{"!foo", Dependency{Name: "foo", Conflict: true}, ""},
		{"!foo<2.0", Dependency{Name: "foo", Op: LT, Version: "2.0", Conflict: true}, ""},
		{"foo@edge", Dependency{Name: "foo", Tag: "edge"}, ""},
		{"foo@edge>=1.0-r2", Dependency{Name: "foo", Tag: "edge", Op: GE, Version: "1.0-r2"}, ""},
		{"!foo@testing=1~ab12", Dependency{Name: "foo", Tag: "testing", Op: EQ, Version: "1~ab12", Conflict: true}, ""},
		{"g++", Dependency{Name: "g++"}, ""},
		{"lib[x]:a,b", Dependency{Name: "lib[x]:a,b"}, ""},
	}
	for _, c := range cases {
		got, err := ParseDependency(c.in)
		if err != nil {
			t.Errorf("ParseDependency(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseDependency(%q) = %+v, want %+v", c.in, got, c.want)
		}
		str := c.str
		if str == "" {
			str = c.in
		}
		if got.String() != str {
			t.Errorf("ParseDependency(%q).String() = %q, want %q", c.in, got.String(), str)
		}
		again, err := ParseDependency(got.String())
		if err != nil || again != got {
			t.Errorf("round trip of %q: %+v, %v", c.in, again, err)
		}
	}
}

func TestParseDependencyErrors(t *testing.T) {
	cases := []struct{ in, msg string }{
		{"", "empty dependency"},
		{"!", "missing package name"},
		{">=1.0", "missing package name"},
		{"@tag", "missing package name"},
		{"foo@", "'@' must be followed by a repository tag"},
		{"!!foo", "may not start with '!'"},
		{"foo>=", `missing version after ">="`},
		{"foo=1.0-x", "version: '-' may only start the package release"},
		{"foo=1.0ab", "version: only one letter"},
		{"foo>=abc", "version: a version must start with a number"},
		{"foo<>=1.0", `unsupported operator "<>="`},
		{"foo~~<>1.0", "unsupported operator"},
		{"foo\tbar", "a tab is not a separator"},
		{"foo bar", "split lists with ParseDependencies"},
		{"foo\x01", "control character"},
		{"foo><Q1 ab", "unexpected character"},
	}
	for _, c := range cases {
		_, err := ParseDependency(c.in)
		if err == nil {
			t.Errorf("ParseDependency(%q) = nil error, want %q", c.in, c.msg)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseDependency(%q): %v does not match ErrInvalid", c.in, err)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseDependency(%q) = %q, want it to contain %q", c.in, err, c.msg)
		}
	}
}

func TestParseDependencyErrorOffset(t *testing.T) {
	_, err := ParseDependency("foo>=1.0-x")
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SyntaxError", err)
	}
	if se.Offset != 8 || se.What != "dependency" || se.Input != "foo>=1.0-x" {
		t.Errorf("SyntaxError = %+v, want offset 8 of the dependency", se)
	}
}

func TestParseDependencies(t *testing.T) {
	got, err := ParseDependencies("  so:libc.musl-x86_64.so.1 /bin/sh\nbusybox>=1.35 \n\n !foo ")
	if err != nil {
		t.Fatal(err)
	}
	want := []Dependency{
		{Name: "so:libc.musl-x86_64.so.1"},
		{Name: "/bin/sh"},
		{Name: "busybox", Op: GE, Version: "1.35"},
		{Name: "foo", Conflict: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDependencies = %+v, want %+v", got, want)
	}
	if got, err := ParseDependencies(" \n "); got != nil || err != nil {
		t.Errorf("ParseDependencies(blank) = %v, %v; want nil, nil", got, err)
	}
	if _, err := ParseDependencies("a b\tc"); err == nil || !strings.Contains(err.Error(), `"b\tc"`) {
		t.Errorf("tab-separated list: err = %v, want it to name the token \"b\\tc\"", err)
	}
	if _, err := ParseDependencies("a b=1..0 c"); err == nil || !strings.Contains(err.Error(), `"b=1..0"`) {
		t.Errorf("bad version in list: err = %v, want it to name the token", err)
	}
}

func TestMatchVersion(t *testing.T) {
	cases := []struct {
		dep, ver string
		want     bool
	}{
		{"foo", "1.0", true},
		{"foo", "", true}, // unversioned provide satisfies a bare name
		{"foo=1.0", "", false},
		{"foo>=1.0", "", false},
		{"foo=1.0", "1.0", true},
		{"foo=1.0", "1.0-r0", false},
		{"foo=1.0-r0", "1.0-r0", true},
		{"foo<2", "1.9", true},
		{"foo<2", "2", false},
		{"foo<2", "2_rc1", true},
		{"foo<=2", "2", true},
		{"foo<=2", "2-r0", false},
		{"foo>2", "2", false},
		{"foo>2", "2.0", true},
		{"foo>=2.0", "1.9-r2", false},
		{"foo>=2.0", "2.0-r0", true},
		{"foo~1.2", "1.2.5", true},
		{"foo~1.2", "1.2_rc1", true},
		{"foo~1.2", "1", true},
		{"foo~1.2", "1.3", false},
		{"foo~1.2", "1.1.9", false},
		{"foo<~1.2", "1.2.9", true},
		{"foo<~1.2", "1.1", true},
		{"foo<~1.2", "1.3", false},
		{"foo>~1.2", "1.2.0", true},
		{"foo>~1.2", "1.1", false},
		{"foo>~1.2", "2", true},
		{"foo><Q1abc=", "Q1abc=", true},
		{"foo><Q1abc=", "Q1abd=", false},
		{"!foo<2", "1.0", true}, // constraint only; the caller inverts conflicts
	}
	for _, c := range cases {
		d, err := ParseDependency(c.dep)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.MatchVersion(c.ver); got != c.want {
			t.Errorf("%q.MatchVersion(%q) = %v, want %v", c.dep, c.ver, got, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	d, _ := ParseDependency("so:libfoo.so.1>=1.2")
	if !d.Matches("so:libfoo.so.1", "1.2.3") {
		t.Error("same name, newer version should match")
	}
	if d.Matches("so:libfoo.so.2", "1.2.3") {
		t.Error("other name should not match")
	}
	if d.Matches("so:libfoo.so.1", "1.1") {
		t.Error("older version should not match")
	}
}

func TestOpString(t *testing.T) {
	for op := Any; op <= FuzzyGE; op++ {
		if op != Any && op.String() == "" {
			t.Errorf("Op %d has no text", op)
		}
	}
	if got := Op(200).String(); got != "Op(200)" {
		t.Errorf("Op(200).String() = %q", got)
	}
}
