package apk

import (
	"crypto/rsa"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixture.Path(t, rel))
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
