package version

import (
	"testing"
)

func FuzzCompare(f *testing.F) {
	for _, c := range compareCases {
		f.Add(c.a, c.b)
	}
	f.Add("1.0_rc1", "1.0")
	f.Add("1.0\x00", "1.0")
	f.Add("x", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab := Compare(a, b) // must not panic on any input
		ba := Compare(b, a)
		_ = compareFuzzy(a, b)
		if Validate(a) != nil || Validate(b) != nil {
			return
		}
		if ab != -ba {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if Compare(a, a) != 0 {
			t.Fatalf("Compare(%q, itself) != 0", a)
		}
		if fa, fb := compareFuzzy(a, b), compareFuzzy(b, a); fa != -fb {
			t.Fatalf("compareFuzzy not antisymmetric for %q, %q", a, b)
		}
		if ab == 0 && compareFuzzy(a, b) != 0 {
			t.Fatalf("equal versions %q, %q differ fuzzily", a, b)
		}
	})
}

func FuzzParseDependency(f *testing.F) {
	for _, s := range []string{
		"busybox", "!foo<2.0", "foo@edge>=1.0-r2", "so:libc.musl-x86_64.so.1", "/bin/sh",
		"foo><Q1abc=", "foo=<2", "cmd:hello=2.12.1-r0", "foo~1.2", "foo>~1.0~ab-r1", "a@b@c=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDependency(s)
		if err != nil {
			return
		}
		text := d.String()
		again, err := ParseDependency(text)
		if err != nil {
			t.Fatalf("ParseDependency(%q) = %+v, but its String %q does not parse: %v", s, d, text, err)
		}
		if again != d {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v", s, d, text, again)
		}
		if again.String() != text {
			t.Fatalf("String not stable: %q -> %q", text, again.String())
		}
		if d.Op != Checksum && d.Op != Any && Validate(d.Version) != nil {
			t.Fatalf("accepted invalid version %q in %q", d.Version, s)
		}
		_ = d.MatchVersion("1.0")
	})
}

func FuzzParseDependencies(f *testing.F) {
	f.Add("a b\nc>=1 !d")
	f.Add("so:libc.musl-x86_64.so.1 /bin/sh\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		deps, err := ParseDependencies(s)
		if err != nil {
			return
		}
		for _, d := range deps {
			if d.Name == "" {
				t.Fatalf("empty name from %q", s)
			}
		}
	})
}
