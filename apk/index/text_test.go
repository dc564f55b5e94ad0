package index

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

func sum(s string) []byte {
	h := sha1.Sum([]byte(s))
	return h[:]
}

// samplePackages covers every written field, names that sort differently
// case-sensitively and case-insensitively, and versions that sort
// differently as text and as versions.
func samplePackages() []*apk.PackageInfo {
	return []*apk.PackageInfo{
		{Name: "zlib", Version: "1.2.13-r0", Arch: "x86_64", FileSize: 53000, Size: 110000,
			Description: "A compression/decompression Library", URL: "https://zlib.net/", License: "Zlib",
			Origin: "zlib", Maintainer: "Someone <someone@example.org>", BuildDate: 1700000000,
			Commit: "0123456789abcdef0123456789abcdef01234567", Depends: []string{"so:libc.musl-x86_64.so.1"},
			Provides: []string{"so:libz.so.1=1.2.13"}, Checksum: sum("zlib-1.2.13-r0")},
		{Name: "hello", Version: "1.10-r0", Arch: "x86_64", FileSize: 2000, Size: 4096,
			Description: "hello, newer", Checksum: sum("hello-1.10-r0")},
		{Name: "hello", Version: "1.9-r0", Arch: "x86_64", FileSize: 1900, Size: 4096,
			Description: "hello, older", Checksum: sum("hello-1.9-r0")},
		{Name: "Hello-Upper", Version: "1", Arch: "noarch", FileSize: 10, Size: 1,
			Checksum: sum("Hello-Upper-1")},
		{Name: "hello-lang", Version: "1.10-r0", FileSize: 800, Size: 300, ProviderPriority: 10,
			InstallIf: []string{"hello=1.10-r0", "lang"}, Replaces: []string{"old-lang"}, ReplacesPriority: 3,
			Checksum: sum("hello-lang-1.10-r0")},
		{Name: "meta", Version: "2.0_rc1-r3", Arch: "x86_64", Size: 0,
			Description: "virtual: nothing to extract", Depends: []string{"hello>=1.9", "!conflict", "/bin/sh"},
			Checksum: sum("meta")},
	}
}

func TestParseText(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		want  []*apk.PackageInfo
		bad   map[int]string // index in want -> uninstallable letters
		error string
	}{
		{name: "empty", in: "", want: nil},
		{name: "blank lines only", in: "\n\n\n", want: nil},
		{name: "minimal", in: "P:a\nV:1\n\n", want: []*apk.PackageInfo{{Name: "a", Version: "1"}}},
		{name: "last record without blank line is kept", in: "P:a\nV:1\n\nP:b\nV:2", want: []*apk.PackageInfo{
			{Name: "a", Version: "1"}, {Name: "b", Version: "2"}}},
		{name: "several blank lines between records", in: "P:a\nV:1\n\n\n\nP:b\nV:2\n\n", want: []*apk.PackageInfo{
			{Name: "a", Version: "1"}, {Name: "b", Version: "2"}}},
		{name: "one-byte line ends a record", in: "P:a\nV:1\nx\nP:b\nV:2\n\n", want: []*apk.PackageInfo{
			{Name: "a", Version: "1"}, {Name: "b", Version: "2"}}},
		{name: "every field", in: "C:Q19UI7UxyiUywG6aew9c3lCBPshsE=\nP:n\nV:1-r0\nA:aarch64\nS:5\nI:7\nT:t t\nU:u\nL:MIT\n" +
			"o:orig\nm:M <m@x>\nt:99\nc:abc\nk:4\nD:a b=1  c\nD:d\np:p1 p2\ni:x y\nr:old\nq:2\n\n",
			want: []*apk.PackageInfo{{Checksum: q1(t, "Q19UI7UxyiUywG6aew9c3lCBPshsE="), Name: "n", Version: "1-r0",
				Arch: "aarch64", FileSize: 5, Size: 7, Description: "t t", URL: "u", License: "MIT", Origin: "orig",
				Maintainer: "M <m@x>", BuildDate: 99, Commit: "abc", ProviderPriority: 4,
				Depends: []string{"a", "b=1", "c", "d"}, Provides: []string{"p1", "p2"}, InstallIf: []string{"x", "y"},
				Replaces: []string{"old"}, ReplacesPriority: 2}}},
		{name: "empty T U L", in: "P:a\nV:1\nT:\nU:\nL:\n\n", want: []*apk.PackageInfo{{Name: "a", Version: "1"}}},
		{name: "tab is not a separator", in: "P:a\nV:1\nD:x\ty z\n\n", want: []*apk.PackageInfo{
			{Name: "a", Version: "1", Depends: []string{"x\ty", "z"}}}},
		{name: "carriage return stays in the value", in: "P:a\r\nV:1\n\n", want: []*apk.PackageInfo{
			{Name: "a\r", Version: "1"}}},
		{name: "unknown lowercase ignored", in: "P:a\nV:1\nz:whatever\n\n", want: []*apk.PackageInfo{{Name: "a", Version: "1"}}},
		{name: "unknown uppercase marks uninstallable", in: "P:a\nV:1\nZ:x\nY:y\n\nP:b\nV:1\n\n",
			want: []*apk.PackageInfo{{Name: "a", Version: "1"}, {Name: "b", Version: "1"}}, bad: map[int]string{0: "ZY"}},
		{name: "digit field marks uninstallable", in: "P:a\nV:1\n9:x\n\n",
			want: []*apk.PackageInfo{{Name: "a", Version: "1"}}, bad: map[int]string{0: "9"}},
		{name: "Q2 checksum", in: "C:Q2" + strings.Repeat("A", 43) + "=\nP:a\nV:1\n\n",
			want: []*apk.PackageInfo{{Name: "a", Version: "1", Checksum: make([]byte, 32)}}},
		{name: "X1 checksum", in: "C:X1" + strings.Repeat("00", 20) + "\nP:a\nV:1\n\n",
			want: []*apk.PackageInfo{{Name: "a", Version: "1", Checksum: make([]byte, 20)}}},
		{name: "long line", in: "P:a\nV:1\nD:" + strings.Repeat("x", 200000) + "\n\n",
			want: []*apk.PackageInfo{{Name: "a", Version: "1", Depends: []string{strings.Repeat("x", 200000)}}}},
		{name: "no colon", in: "P:a\nVV1\n\n", error: "line 2"},
		{name: "missing version", in: "P:a\n\nP:b\nV:1\n\n", error: "record at line 1 has no P: (name) or V: (version)"},
		{name: "missing name at end", in: "V:1\n", error: "record at line 1"},
		{name: "bad size", in: "P:a\nV:1\nS:12x\n\n", error: `line 3: field S: "12x" is not a number`},
		{name: "negative size", in: "P:a\nV:1\nS:-1\n\n", error: `line 3: field S: "-1" is not a number`},
		{name: "size too large", in: "P:a\nV:1\nS:9223372036854775808\n\n", error: "too large"},
		{name: "number overflows", in: "P:a\nV:1\nI:99999999999999999999\n\n", error: "too large"},
		{name: "bad checksum base64", in: "C:Q1!!\nP:a\nV:1\n\n", error: "line 1: field C"},
		{name: "unpadded Q1 decodes to 21 bytes", in: "C:Q1" + strings.Repeat("0", 28) + "\nP:a\nV:1\n\n", error: "has 21 bytes, want 20"},
		{name: "short checksum", in: "C:Q1AAAA\nP:a\nV:1\n\n", error: "has 3 bytes, want 20"},
		{name: "unknown checksum kind", in: "C:Z1AAAA\nP:a\nV:1\n\n", error: "unknown kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := ParseTextIndex(strings.NewReader(tc.in))
			if tc.error != "" {
				if err == nil || !strings.Contains(err.Error(), tc.error) || !errors.Is(err, ErrFormat) {
					t.Fatalf("err = %v, want ErrFormat containing %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ix.Packages, tc.want) {
				t.Errorf("got %s\nwant %s", dump(ix.Packages), dump(tc.want))
			}
			if len(ix.Uninstallable) != len(tc.bad) {
				t.Errorf("uninstallable = %v, want %v", ix.Uninstallable, tc.bad)
			}
			for i, letters := range tc.bad {
				if got := ix.Uninstallable[ix.Packages[i]]; got != letters {
					t.Errorf("uninstallable[%d] = %q, want %q", i, got, letters)
				}
			}
			pkgs, err := ParseText(strings.NewReader(tc.in))
			if err != nil || len(pkgs) != len(tc.want) {
				t.Errorf("ParseText: %d packages, %v", len(pkgs), err)
			}
		})
	}
}

func dump(pkgs []*apk.PackageInfo) string {
	var b strings.Builder
	for _, p := range pkgs {
		fmt.Fprintf(&b, "\n  %+v", *p)
	}
	return b.String()
}

func TestWriteTextRefuses(t *testing.T) {
	ok := func() *apk.PackageInfo { return &apk.PackageInfo{Name: "a", Version: "1", Checksum: sum("a")} }
	for _, tc := range []struct {
		name  string
		edit  func(p *apk.PackageInfo)
		error string
	}{
		{"no checksum", func(p *apk.PackageInfo) { p.Checksum = nil }, "package a-1: field C: checksum has 0 bytes"},
		{"no version", func(p *apk.PackageInfo) { p.Version = "" }, "name (P:) and version (V:) are required"},
		{"newline in description", func(p *apk.PackageInfo) { p.Description = "two\nlines" }, "field T: value"},
		{"newline in name", func(p *apk.PackageInfo) { p.Name = "a\nP:b" }, "field P"},
		{"space in token", func(p *apk.PackageInfo) { p.Depends = []string{"a b"} }, `field D: dependency token "a b"`},
		{"empty token", func(p *apk.PackageInfo) { p.Provides = []string{""} }, "field p: dependency token"},
		{"negative size", func(p *apk.PackageInfo) { p.FileSize = -1 }, "negative file size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok()
			tc.edit(p)
			err := (&Index{Packages: []*apk.PackageInfo{p}}).WriteText(&bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Fatalf("err = %v, want %q", err, tc.error)
			}
		})
	}
}

func TestWriteTextOrderAndRoundTrip(t *testing.T) {
	pkgs := samplePackages()
	ix := &Index{Packages: pkgs}
	var b bytes.Buffer
	if err := ix.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if ix.Packages[0].Name != "zlib" {
		t.Error("WriteText reordered ix.Packages")
	}
	var order []string
	for _, line := range strings.Split(b.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "V:"); ok {
			order[len(order)-1] += "-" + v
		}
		if n, ok := strings.CutPrefix(line, "P:"); ok {
			order = append(order, n)
		}
	}
	want := []string{"hello-1.9-r0", "hello-1.10-r0", "hello-lang-1.10-r0", "Hello-Upper-1", "meta-2.0_rc1-r3", "zlib-1.2.13-r0"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if !strings.HasSuffix(b.String(), "\n\n") {
		t.Error("text does not end with a blank line")
	}
	back, err := ParseText(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := (&Index{Packages: back}).WriteText(&again); err != nil {
		t.Fatal(err)
	}
	if again.String() != b.String() {
		t.Errorf("rewrite differs:\n%s\nvs\n%s", again.String(), b.String())
	}
	// r: and q: are installed-database fields, not written to an index.
	if strings.Contains(b.String(), "\nr:") || strings.Contains(b.String(), "\nq:") {
		t.Error("r: or q: written to the index")
	}
}

func TestCompareNames(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"a", "B", -1}, {"B", "a", 1}, {"abc", "ABC", 0}, {"ab", "abc", -1}, {"a-b", "a_b", -1},
	} {
		got := foldCompare(tc.a, tc.b)
		if (got < 0) != (tc.want < 0) || (got > 0) != (tc.want > 0) {
			t.Errorf("foldCompare(%q, %q) = %d, want sign of %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestWriteTextVersionOrder(t *testing.T) {
	versions := []string{"1.0_p1", "1.0-r0", "1.0", "1.0_rc1", "1.0.0", "1.10", "1.9", "1.0.1a"}
	want := []string{"1.0_rc1", "1.0", "1.0-r0", "1.0_p1", "1.0.0", "1.0.1a", "1.9", "1.10"}
	ix := &Index{}
	for _, v := range versions {
		ix.Packages = append(ix.Packages, &apk.PackageInfo{Name: "p", Version: v, Checksum: sum(v)})
	}
	var got []string
	for _, p := range sorted(ix.Packages) {
		got = append(got, p.Version)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestAlpineRoundTrip writes the real Alpine index as text and reads it
// back: every record must survive field for field.
func TestAlpineRoundTrip(t *testing.T) {
	fx := fixture.Dir(t)
	ix, err := ReadFile(fx+"/alpine-316/APKINDEX.tar.gz", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := ix.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	back, err := ParseText(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ix.Packages) {
		t.Fatalf("%d records read back, want %d", len(back), len(ix.Packages))
	}
	want := sorted(ix.Packages)
	for i := range back {
		if !reflect.DeepEqual(back[i], want[i]) {
			t.Fatalf("record %d differs:\n%+v\n%+v", i, *back[i], *want[i])
		}
	}
}
