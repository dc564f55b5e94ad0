package version

import (
	"errors"
	"strings"
	"testing"
)

// compareCases are ordered pairs "a op b". Every example of the format
// specification (section 6) is here, plus apk-tools' own published
// comparison facts and the edge cases of this implementation.
var compareCases = []struct {
	a    string
	want int
	b    string
}{
	// spec section 6.2
	{"1.0_rc1", -1, "1.0"},
	{"1.0", -1, "1.0-r0"},
	{"1.0-r0", -1, "1.0_p1"},
	{"1.0_rc1", -1, "1.0_p1"},
	{"1.0", -1, "1.0.0"},
	{"1.0a", -1, "1.0.1"},
	{"2.12.1-r0", 1, "2.12-r5"},
	{"1.2_rc1-r3", -1, "1.2_rc1-r10"},
	{"1.10", 1, "1.9"},
	{"1.05", -1, "1.5"},
	{"1.005", -1, "1.05"},
	// leading zeros after a dot: more zeros sort lower (apk 2.14)
	{"1.00", -1, "1.0"},
	{"8.2.0", 1, "8.2.001"},
	{"1.2.07.8", -1, "1.2.12.04"},
	{"1.6d", 1, "1.2.07.8"},
	// the first number and the revision are plain numbers
	{"01", 0, "1"},
	{"007", 0, "7"},
	{"1.06-r6", -1, "006"},
	{"1.0-r00", 0, "1.0-r0"},
	// equality
	{"1.0", 0, "1.0"},
	{"1.2.3-r0", 0, "1.2.3-r0"},
	{"0.1.0_alpha", 0, "0.1.0_alpha"},
	// running out of tokens
	{"1", -1, "1.0"},
	{"1.2.1", 1, "1.2"},
	{"0.12.3", 1, "0.12"},
	{"1.3-r0", -1, "1.3.1-r0"},
	{"1.3_pre1-r1", -1, "1.3.2"},
	{"4.5_p1-r1", 1, "4.5_p1"},
	{"2.9.11_pre20051101-r3", 1, "2.9.11_pre20051101"},
	{"1.0.0_rc1", 1, "1.0"},
	{"1.0_rc1-r0", -1, "1.0-r0"},
	{"1.1", 1, "1.1_alpha1"},
	{"0.20070207_rc1", -1, "1.0"},
	// suffix ranks
	{"1.0_alpha", -1, "1.0_beta"},
	{"1.0_beta", -1, "1.0_pre"},
	{"1.0_pre", -1, "1.0_rc"},
	{"1.0_rc", -1, "1.0"},
	{"1.0", -1, "1.0_cvs"},
	{"1.0_cvs", -1, "1.0_svn"},
	{"1.0_svn", -1, "1.0_git"},
	{"1.0_git", -1, "1.0_hg"},
	{"1.0_hg", -1, "1.0_p"},
	{"1.2.3", -1, "1.2.3_p1"},
	{"0.1.0_alpha_pre2", -1, "0.1.0_alpha"},
	// suffix numbers
	{"1.0_p", -1, "1.0_p0"},
	{"1.0_alpha", -1, "1.0_alpha0"},
	{"1.0_p9-r0", -1, "1.0_p10-r0"},
	{"1.3_alpha2", -1, "1.3_alpha3"},
	{"3.1_p16", -1, "3.1_p17"},
	{"0.3.4_pre20061029", -1, "0.4.0"},
	// letters
	{"1.2.3a", -1, "1.2.3b"},
	{"1.2.3z", -1, "1.2.4"},
	{"1.7", -1, "1.7b"},
	{"2.5.1-r8", -1, "2.5.1a-r1"},
	{"2.3.0b-r1", -1, "2.3.0b-r2"},
	{"0.9.8c-r1", -1, "0.9.8d"},
	{"2.12r-r4", -1, "2.12r-r5"},
	// revisions
	{"1.0-r1", -1, "1.0-r10"},
	{"1.0-r10", -1, "1.1-r0"},
	{"20050718-r1", -1, "20050718-r2"},
	// numbers
	{"7.0.17", -1, "7.0.174"},
	{"2.4.32", -1, "2.8-r4"},
	{"3.9.8-r5", 1, "2.01.01_alpha10"},
	{"1.0", 1, "0.99.3.20040818"},
	{"1.02", -1, "1.03-r1"},
	{"3.0.20060720", -1, "20060720"},
	{"1.0.0_pre20191002222144-r0", -1, "1.0.0_pre20210530193627-r0"},
	{"99999999999999999999", -1, "100000000000000000000"},
	// apk v3 commit hashes
	{"1.0~abc", 1, "1.0"},
	{"1.0~abc", -1, "1.0~abd"},
	{"1.0~abc-r1", -1, "1.0~abc-r2"},
	{"1.0~abc", 1, "1.0-r0"},
	{"1.0_p1", 1, "1.0~abc"},
}

func TestCompare(t *testing.T) {
	if len(compareCases) < 60 {
		t.Fatalf("only %d pairs", len(compareCases))
	}
	for _, c := range compareCases {
		for _, v := range []string{c.a, c.b} {
			if err := Validate(v); err != nil {
				t.Errorf("Validate(%q) = %v", v, err)
			}
			if got := Compare(v, v); got != 0 {
				t.Errorf("Compare(%q, itself) = %d", v, got)
			}
		}
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Compare(c.b, c.a); got != -c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d (antisymmetry)", c.b, c.a, got, -c.want)
		}
	}
}

// TestCompareChain checks a long sorted chain pairwise, which exercises
// transitivity across token kinds.
func TestCompareChain(t *testing.T) {
	chain := []string{
		"0.9", "1", "1.00", "1.005", "1.0_alpha", "1.0_alpha1", "1.0_beta", "1.0_pre", "1.0_rc1",
		"1.0_rc1-r1", "1.0", "1.0-r0", "1.0-r1", "1.0_cvs", "1.0_git", "1.0_p", "1.0_p1",
		"1.0_p1-r3", "1.0a", "1.0b_p2", "1.0.0", "1.0.1", "1.05", "1.1_rc2",
		"1.1", "1.2", "1.10", "2", "10.0",
	}
	for i := range chain {
		for j := range chain {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := Compare(chain[i], chain[j]); got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", chain[i], chain[j], got, want)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	valid := []string{
		"0", "1", "1.2.3", "007", "1.0a", "1.0_rc1", "1.0_p", "1.0_rc1_p2", "1.0_alpha_pre2",
		"1.0-r0", "2.12.1-r10", "3.3.3p-r1", "6.8.0p2-r4", "1.0a1", "1a1.2b3_p1", "v2.4", "a1-r0", "1.0~6f3a2c", "1.0~abc-r1", "1.0_git20220101~ab12-r3",
		"20220128", "1.0.0_pre20191002222144-r0",
	}
	for _, v := range valid {
		if err := Validate(v); err != nil {
			t.Errorf("Validate(%q) = %v", v, err)
		}
	}
	invalid := []struct{ v, msg string }{
		{"", "empty version"},
		{"-r1", "must start with a number"},
		{".1", "must start with a number"},
		{"1.", "'.' must be followed by a number"},
		{"1..2", "'.' must be followed by a number"},
		{"1.0ab", "only one letter"},
		{"1.0a1bc", "only one letter"},
		{"v", "must start with a number"},
		{"vv1", "must start with a number"},
		{"1.0a.1", "a letter must be followed by"},
		{"1.0a1.", "'.' must be followed by a number"},
		{"1.0_foo", `unknown suffix "_foo"`},
		{"1.0_", `unknown suffix "_"`},
		{"1.0_rcx", `unknown suffix "_rcx"`},
		{"1.0_pre1a", "out of order"},
		{"1.0-rc1", "-r must be followed by a number"},
		{"1.0-r", "-r must be followed by a number"},
		{"1.0-1", "'-' may only start the package release"},
		{"1.0-r1-r2", "nothing may follow the release -r1"},
		{"1.0-r1_p1", "nothing may follow the release"},
		{"1.0~", "'~' must be followed by a hexadecimal"},
		{"1.0~xyz", "'~' must be followed by a hexadecimal"},
		{"1.0A", "lowercase"},
		{"1.0 ", "unexpected character"},
		{"1.0_rc1.2", "out of order"},
		{"1.0~ab_p1", "out of order"},
	}
	for _, c := range invalid {
		err := Validate(c.v)
		if err == nil {
			t.Errorf("Validate(%q) = nil, want error containing %q", c.v, c.msg)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%q) error %v does not match ErrInvalid", c.v, err)
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("Validate(%q) = %q, want it to contain %q", c.v, err, c.msg)
		}
	}
}

func TestCompareFuzzy(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.2.5", "1.2", 0},
		{"1.2", "1.2", 0},
		{"1.2_rc1", "1.2", 0},
		{"1", "1.2", 0}, // apk 2.14: only shared tokens count
		{"1.3", "1.2", 1},
		{"1.1.9", "1.2", -1},
		{"1.2.5-r3", "1.2.5", 0},
	}
	for _, c := range cases {
		if got := compareFuzzy(c.a, c.b); got != c.want {
			t.Errorf("compareFuzzy(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func BenchmarkCompare(b *testing.B) {
	for b.Loop() {
		Compare("1.2.3_rc1-r4", "1.2.3_rc1-r10")
		Compare("2.38-r1", "2.38.1-r0")
	}
}
