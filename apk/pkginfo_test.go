package apk

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// parseLines is the line reading ParsePKGINFO must match: bufio.Scanner
// with ScanLines and a 1 MiB token limit, one key = value per line.
func parseLines(data []byte) (*PackageInfo, error) {
	p := &PackageInfo{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.HasPrefix(text, "#") {
			continue
		}
		key, val, ok := strings.Cut(text, " = ")
		if !ok {
			continue
		}
		if err := p.set(key, val); err != nil {
			return nil, fmt.Errorf(".PKGINFO line %d: %s: %w", line, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf(".PKGINFO: %w", err)
	}
	if p.Name == "" {
		return nil, fmt.Errorf(".PKGINFO: missing pkgname")
	}
	if p.Version == "" {
		return nil, fmt.Errorf(".PKGINFO of %s: missing pkgver", p.Name)
	}
	return p, nil
}

// samePKGINFO fails unless ParsePKGINFO, parseLines and the IndexReader's
// parser agree on data.
func samePKGINFO(t *testing.T, data []byte) *PackageInfo {
	t.Helper()
	got, err := ParsePKGINFO(data)
	want, wantErr := parseLines(data)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParsePKGINFO = %+v, %v; line by line: %+v, %v", got, err, want, wantErr)
	}
	// The IndexReader's parser (its slabs reused across calls) must give
	// the same record, and fail exactly where ParsePKGINFO fails.
	fast, ok := sharedInfoParser.parse(bytes.Clone(data))
	if ok != (err == nil) || ok && !reflect.DeepEqual(fast, got) {
		t.Fatalf("infoParser = %+v, %v; ParsePKGINFO: %+v, %v", fast, ok, got, err)
	}
	return got
}

var sharedInfoParser infoParser

func TestParsePKGINFO(t *testing.T) {
	long := strings.Repeat("x", maxPKGINFOLine-len("pkgdesc = ")-1)
	tests := []struct {
		name, text string
		want       *PackageInfo // nil: an error containing err
		err        string
	}{
		{name: "fields and lists", text: "# comment\npkgname = a\npkgver = 1-r0\ndepend = b c\ndepend = d\nprovides = cmd:a=1-r0\nsize = 12\nbuilddate = -3\ndatahash = ab\n",
			want: &PackageInfo{Name: "a", Version: "1-r0", Depends: []string{"b", "c", "d"}, Provides: []string{"cmd:a=1-r0"}, Size: 12, BuildDate: -3, DataHash: "ab"}},
		{name: "CRLF and no final newline", text: "pkgname = a\r\npkgver = 1-r0\r\nurl = u\r\r\narch = x86_64",
			want: &PackageInfo{Name: "a", Version: "1-r0", URL: "u\r", Arch: "x86_64"}},
		{name: "last value wins, unknown keys and bare lines skipped", text: "pkgname = a\npkgname = b\nfoo = bar\njunk\n\npkgver=2\npkgver = 1-r0\n",
			want: &PackageInfo{Name: "b", Version: "1-r0"}},
		{name: "value holding the separator", text: "pkgname = a\npkgver = 1-r0\npkgdesc = x = y \n",
			want: &PackageInfo{Name: "a", Version: "1-r0", Description: "x = y "}},
		{name: "longest line", text: "pkgname = a\npkgver = 1-r0\npkgdesc = " + long + "\n",
			want: &PackageInfo{Name: "a", Version: "1-r0", Description: long}},
		{name: "longest last line", text: "pkgname = a\npkgver = 1-r0\npkgdesc = " + long,
			want: &PackageInfo{Name: "a", Version: "1-r0", Description: long}},
		{name: "bad number before a good one", text: "pkgname = a\npkgver = 1-r0\nsize = x\nsize = 5\n", err: "bad number"},
		{name: "numbers as strconv reads them", text: "pkgname = a\npkgver = 1-r0\nsize = 007\nbuilddate = +5\nprovider_priority = 18446744073709551615\nreplaces_priority = 1\n",
			want: &PackageInfo{Name: "a", Version: "1-r0", Size: 7, BuildDate: 5, ProviderPriority: 18446744073709551615, ReplacesPriority: 1}},
		{name: "lists split at any space", text: "pkgname = a\npkgver = 1-r0\ndepend = b\u00a0c\td \ntriggers =  \nreplaces = r\ninstall_if = x y\n",
			want: &PackageInfo{Name: "a", Version: "1-r0", Depends: []string{"b", "c", "d"}, Replaces: []string{"r"}, InstallIf: []string{"x", "y"}}},
		{name: "line too long", text: "pkgname = a\npkgver = 1-r0\npkgdesc = " + long + "x\n", err: "token too long"},
		{name: "last line too long", text: "pkgname = a\npkgver = 1-r0\npkgdesc = " + long + "x", err: "token too long"},
		{name: "bad number names the line", text: "pkgname = a\npkgver = 1-r0\n\nsize = -1\n", err: ".PKGINFO line 4: size: bad number \"-1\""},
		{name: "no pkgname", text: "pkgver = 1-r0\n", err: "missing pkgname"},
		{name: "no pkgver", text: "pkgname = a\n", err: ".PKGINFO of a: missing pkgver"},
		{name: "empty", text: "", err: "missing pkgname"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := samePKGINFO(t, []byte(tt.text))
			_, err := ParsePKGINFO([]byte(tt.text))
			if tt.want == nil {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				if tt.err == "token too long" && !errors.Is(err, bufio.ErrTooLong) {
					t.Errorf("err = %v, want bufio.ErrTooLong", err)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// FuzzParsePKGINFO checks ParsePKGINFO against line-by-line reading, and
// that what it parses marshals back to the same record.
func FuzzParsePKGINFO(f *testing.F) {
	for _, fx := range fixturePackages {
		pkg, err := Read(bytes.NewReader(readFixture(f, fx.file)), ReadOptions{})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pkg.PKGINFO)
	}
	f.Add([]byte("pkgname = a\r\npkgver = 1\r\ndepend = x  y\ninstall_if = a b\nsize = 0x1\n#c\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := samePKGINFO(t, data)
		if p == nil || bytes.ContainsRune(data, '\r') {
			return // a value ending in CR does not survive a round trip
		}
		again, err := ParsePKGINFO(p.MarshalPKGINFO())
		if err != nil {
			t.Fatalf("marshalled record does not parse: %v", err)
		}
		if !reflect.DeepEqual(again, p) {
			t.Fatalf("round trip: %+v, want %+v", again, p)
		}
	})
}
