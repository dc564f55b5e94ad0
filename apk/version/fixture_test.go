package version

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// indexText returns the APKINDEX entry of an APKINDEX.tar.gz: a signature
// gzip member followed by the index member, read as one stream.
func indexText(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no APKINDEX entry: %v", path, err)
		}
		if h.Name == "APKINDEX" {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// checkRecords validates every V: and parses every D:, p:, i: and r: line
// of index or installed-database text; it returns the number of records.
func checkRecords(t *testing.T, name string, text []byte) (records, tokens int) {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	line, pkg := 0, ""
	for sc.Scan() {
		line++
		l := sc.Text()
		if len(l) < 2 || l[1] != ':' {
			continue
		}
		val := l[2:]
		switch l[0] {
		case 'P':
			pkg = val
			records++
		case 'V':
			if err := Validate(val); err != nil {
				t.Errorf("%s line %d (%s): V: %v", name, line, pkg, err)
			}
		case 'D', 'p', 'i', 'r':
			deps, err := ParseDependencies(val)
			if err != nil {
				t.Errorf("%s line %d (%s): %c: %v", name, line, pkg, l[0], err)
			}
			// Index tokens are written canonically: each renders back as is.
			for k, tok := range strings.Fields(val) {
				tokens++
				if k < len(deps) && deps[k].String() != tok {
					t.Errorf("%s line %d: %q renders as %q", name, line, tok, deps[k].String())
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return records, tokens
}

func TestFixtureIndexes(t *testing.T) {
	dir := fixture.Dir(t)
	cases := []struct {
		path    string
		records int
	}{
		{"alpine-316/APKINDEX.tar.gz", 4929},
		{"melange-repo/x86_64/APKINDEX.tar.gz", 4},
		{"rsa256-signed/APKINDEX.tar.gz", -1},
	}
	for _, c := range cases {
		n, tokens := checkRecords(t, c.path, indexText(t, filepath.Join(dir, c.path)))
		if c.records >= 0 && n != c.records {
			t.Errorf("%s: %d records, want %d", c.path, n, c.records)
		}
		t.Logf("%s: %d records, %d dependency tokens", c.path, n, tokens)
	}
}

func TestFixtureInstalledDB(t *testing.T) {
	dir := fixture.Dir(t)
	for _, p := range []string{"wolfi/installed", "apk-db/installed"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := checkRecords(t, p, b); n == 0 {
			t.Errorf("%s: no records", p)
		}
	}
}

// TestFixtureVersionsSorted sorts every version of the Alpine index and
// checks the order is consistent (antisymmetric and transitive on
// neighbours), using real-world versions.
func TestFixtureVersionsSorted(t *testing.T) {
	text := indexText(t, fixture.Path(t, "alpine-316/APKINDEX.tar.gz"))
	var vs []string
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(l, "V:") {
			vs = append(vs, l[2:])
		}
	}
	sorted := append([]string(nil), vs...)
	sortVersions(sorted)
	for i := 1; i < len(sorted); i++ {
		if Compare(sorted[i-1], sorted[i]) > 0 || Compare(sorted[i], sorted[i-1]) < 0 {
			t.Fatalf("sort order broken at %q, %q", sorted[i-1], sorted[i])
		}
	}
	// spot-check transitivity over a stride of the sorted list
	for i := 0; i+40 < len(sorted); i += 37 {
		if Compare(sorted[i], sorted[i+40]) > 0 {
			t.Errorf("%q sorts before %q but compares greater", sorted[i], sorted[i+40])
		}
	}
}

func sortVersions(vs []string) { slices.SortStableFunc(vs, Compare) }
