package resolve

import (
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// readIndex reads and verifies an APKINDEX.tar.gz with the keys in the
// same directory, through the index package as pestle itself does.
func readIndex(t testing.TB, path string) []*apk.PackageInfo {
	t.Helper()
	pubs, err := filepath.Glob(filepath.Join(filepath.Dir(path), "*.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) == 0 {
		pubs, _ = filepath.Glob(filepath.Join(filepath.Dir(path), "..", "*.pub"))
	}
	kr, err := keys.LoadKeyring(pubs...)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.ReadFile(path, kr, false)
	if err != nil {
		t.Fatal(err)
	}
	return ix.Packages
}

var (
	alpineOnce sync.Once
	alpinePkgs []*apk.PackageInfo
)

// alpine316 returns the packages of the Alpine 3.16 fixture index.
func alpine316(t testing.TB) []*apk.PackageInfo {
	alpineOnce.Do(func() {
		alpinePkgs = readIndex(t, fixture.Path(t, "alpine-316", "APKINDEX.tar.gz"))
	})
	if len(alpinePkgs) == 0 {
		t.Fatal("alpine-316 index did not load")
	}
	return alpinePkgs
}

// mk builds a package for synthetic tests: mk("foo", "1.0-r0",
// "D:bar>=1 baz", "p:cmd:foo=1.0", "i:qux", "k:10").
func mk(name, ver string, fields ...string) *apk.PackageInfo {
	p := &apk.PackageInfo{Name: name, Version: ver}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, ":")
		switch k {
		case "D":
			p.Depends = strings.Fields(v)
		case "p":
			p.Provides = strings.Fields(v)
		case "i":
			p.InstallIf = strings.Fields(v)
		case "k":
			p.ProviderPriority, _ = strconv.ParseUint(v, 10, 64)
		case "A":
			p.Arch = v
		}
	}
	return p
}

func names(sol *Solution) []string {
	out := make([]string, len(sol.Packages))
	for i, p := range sol.Packages {
		out[i] = p.Name
	}
	return out
}
