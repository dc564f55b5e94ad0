package sbom

import (
	"strings"
	"testing"
)

func TestLicenses(t *testing.T) {
	cases := []struct {
		in, want string
		refs     []string
	}{
		{"", "NOASSERTION", nil},
		{"MIT", "MIT", nil},
		{"NONE", "NONE", nil},
		{"GPL-2.0+", "GPL-2.0+", nil},
		{"mit or  apache-2.0", "mit OR apache-2.0", nil},
		{"(MIT OR Apache-2.0) AND BSD-3-Clause", "(MIT OR Apache-2.0) AND BSD-3-Clause", nil},
		{"GPL-2.0-only WITH Classpath-exception-2.0", "GPL-2.0-only WITH Classpath-exception-2.0", nil},
		{"LicenseRef-custom", "LicenseRef-custom", []string{"LicenseRef-custom"}},
		{"LicenseRef-a OR LicenseRef-a", "LicenseRef-a OR LicenseRef-a", []string{"LicenseRef-a"}},
		{"DocumentRef-x:LicenseRef-y", "LicenseRef-DocumentRef-x-LicenseRef-y", []string{"DocumentRef-x:LicenseRef-y"}},
		{"MIT AND Apache_2.0", "MIT AND LicenseRef-Apache-2.0", []string{"Apache_2.0"}},
		{"BSD/MIT", "LicenseRef-BSD-MIT", []string{"BSD/MIT"}},
		{"Public Domain", "LicenseRef-Public-Domain", []string{"Public Domain"}},
		{"MIT AND", "LicenseRef-MIT-AND", []string{"MIT AND"}},
		{"(MIT", "LicenseRef-MIT", []string{"(MIT"}},
		{"a_b OR a_b", "LicenseRef-a-b OR LicenseRef-a-b", []string{"a_b"}},
		{"MIT WITH", "LicenseRef-MIT-WITH", []string{"MIT WITH"}},
		{"!!!", "LicenseRef-unknown", []string{"!!!"}},
	}
	for _, c := range cases {
		got, refs := normalizeLicense(c.in)
		var names []string
		for _, r := range refs {
			names = append(names, r.Name)
		}
		if got != c.want || strings.Join(names, "|") != strings.Join(c.refs, "|") {
			t.Errorf("normalizeLicense(%q) = %q %q, want %q %q", c.in, got, names, c.want, c.refs)
		}
	}
}

func TestLicenseExpression(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"MIT"}, "MIT"},
		{[]string{"MIT OR Apache-2.0"}, "MIT OR Apache-2.0"},
		{[]string{"MIT", " ", "BSD-3-Clause"}, "MIT AND BSD-3-Clause"},
		{[]string{"MIT OR Apache-2.0", "BSD-3-Clause"}, "(MIT OR Apache-2.0) AND BSD-3-Clause"},
		{[]string{"(MIT OR Apache-2.0)", "ISC"}, "(MIT OR Apache-2.0) AND ISC"},
		{[]string{"(MIT) OR (ISC)", "Zlib"}, "((MIT) OR (ISC)) AND Zlib"},
	}
	for _, c := range cases {
		if got := LicenseExpression(c.in); got != c.want {
			t.Errorf("LicenseExpression(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
