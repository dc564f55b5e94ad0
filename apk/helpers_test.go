package apk

import (
	"crypto/rsa"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/keys"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixturesDir finds shared/fixtures: walk up to the directory holding
// go.mod, then ../shared/fixtures.
func fixturesDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
	fx := filepath.Join(dir, "..", "shared", "fixtures")
	if _, err := os.Stat(fx); err != nil {
		t.Fatalf("fixtures not found at %s (CI clones the repo next to shared/): %v", fx, err)
	}
	return fx
}

func fixture(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(fixturesDir(t), rel)
}

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keyringOf builds a keyring holding the public key files given as
// fixture-relative paths, each under its base name.
func keyringOf(t testing.TB, rels ...string) *keys.Keyring {
	t.Helper()
	kr := keys.NewKeyring()
	for _, rel := range rels {
		if err := kr.AddPEM(filepath.Base(rel), readFixture(t, rel)); err != nil {
			t.Fatal(err)
		}
	}
	return kr
}

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// goldenKey is the fixed 2048-bit key in testdata/test.rsa: packages
// signed with it are byte-for-byte reproducible, so their hashes can be
// golden.
func goldenKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := keys.LoadPrivate(filepath.Join("testdata", "test.rsa"))
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// goldenKeyring trusts goldenKey under the name "test.rsa.pub".
func goldenKeyring(t testing.TB) *keys.Keyring {
	kr := keys.NewKeyring()
	kr.Add("test.rsa.pub", &goldenKey(t).PublicKey)
	return kr
}
