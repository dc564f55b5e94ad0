package sbom

import (
	"encoding/json"
	"testing"
)

// FuzzNormalizeLicense feeds arbitrary declared licenses (recipe text) and
// checks that the result is always valid SPDX syntax, stable when
// normalised again, and that every LicenseRef it introduces is declared.
func FuzzNormalizeLicense(f *testing.F) {
	for _, s := range []string{"", "MIT", "mit or apache-2.0", "(MIT OR Apache-2.0) AND BSD-3-Clause",
		"GPL-2.0-only WITH Classpath-exception-2.0", "Public Domain", "((", "a_b OR c/d", "LicenseRef-x", "DocumentRef-a:LicenseRef-b", "GPL-2.0+ and (ISC)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, _ := normalizeLicense(s)
		again, _ := normalizeLicense(out)
		if again != out {
			t.Fatalf("not stable: %q -> %q -> %q", s, out, again)
		}
		if !licenseRe.MatchString(out) {
			t.Fatalf("%q -> %q is not SPDX syntax", s, out)
		}
		data, err := Generate(Input{Name: "p", Version: "1-r0", License: s})
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(data) {
			t.Fatal("invalid JSON")
		}
		if err := checkRules(data); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
	})
}
