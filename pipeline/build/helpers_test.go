package build

import (
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/internal/testrepo"
	"github.com/pestle-dev/pestle/keys"
)

// needSandbox skips outside CI when bwrap or a static busybox is missing;
// in CI (CI=true) their absence fails the test.
func needSandbox(t *testing.T) {
	t.Helper()
	testrepo.NeedSandbox(t)
}

var (
	baseOnce sync.Once
	baseDir  string
	baseKey  *rsa.PrivateKey
	baseErr  error
)

// baseRepo returns a signed repository with one package, busybox (the
// host's static busybox with its applet links, providing /bin/sh), and the
// path of its public key. It is made once per test binary.
func baseRepo(t *testing.T) (repoDir, pubKey string) {
	t.Helper()
	needSandbox(t)
	baseOnce.Do(func() {
		baseDir, baseErr = os.MkdirTemp("", "pestle-base-")
		if baseErr != nil {
			return
		}
		baseErr = makeBaseRepo(baseDir)
	})
	if baseErr != nil {
		t.Fatal(baseErr)
	}
	return baseDir, filepath.Join(baseDir, "base.rsa.pub")
}

func makeBaseRepo(dir string) error {
	if _, err := testrepo.Busybox(dir); err != nil {
		return err
	}
	var err error
	baseKey, err = keys.LoadPrivate(filepath.Join(dir, "base.rsa"))
	return err
}

// testBuild is a build of recipe (YAML text, written into a fresh source
// dir) against the base repository, with everything under t.TempDir().
type testBuild struct {
	opts   Options
	out    fixture.SyncBuffer
	srcDir string
}

func newTestBuild(t *testing.T, recipe string) *testBuild {
	t.Helper()
	repoDir, pub := baseRepo(t)
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "melange.yaml"), []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(tmp, "test.rsa")
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WritePair(key, k, false); err != nil {
		t.Fatal(err)
	}
	sde := int64(0)
	tb := &testBuild{srcDir: src}
	tb.opts = Options{
		EnvOptions: EnvOptions{
			Recipe:          filepath.Join(src, "melange.yaml"),
			Repositories:    []string{repoDir},
			Keyring:         []string{pub},
			ApkCacheDir:     sharedCache(t),
			CacheDir:        filepath.Join(tmp, "melange-cache"),
			SourceDateEpoch: &sde,
		},
		OutDir:     filepath.Join(tmp, "packages"),
		SigningKey: key,
	}
	tb.opts.Stdout = &tb.out
	tb.opts.Stderr = tb.opts.Stdout
	return tb
}

func (tb *testBuild) run(t *testing.T) (*Result, error) {
	t.Helper()
	return Build(context.Background(), tb.opts)
}

var (
	cacheOnce sync.Once
	cacheDir  string
)

// sharedCache is one apk cache for the whole test binary, so guest roots
// are reused between tests as they are between real builds.
func sharedCache(t *testing.T) string {
	cacheOnce.Do(func() {
		var err error
		cacheDir, err = os.MkdirTemp("", "pestle-apkcache-")
		if err != nil {
			t.Fatal(err)
		}
	})
	return cacheDir
}

// testTmpEnv names the temporary dir TestMain made for this run.
const testTmpEnv = "PESTLE_BUILD_TEST_TMPDIR"

func TestMain(m *testing.M) {
	// What a build discards is removed before Build returns, so that
	// tests see the result and their temp dirs empty.
	backgroundRemoval = false
	// Failed builds keep their scratch dir for --resume: in a temporary
	// dir of this run, not in the machine's, where every later build
	// would have to look at them.
	// The helpers a test starts from this binary use the TMPDIR they get.
	// The dir is open to all, as /tmp is: a test builds as nobody.
	var tmp string
	if os.Getenv(testTmpEnv) == "" {
		var err error
		if tmp, err = os.MkdirTemp("", "pestle-tests-build-"); err == nil {
			err = os.Chmod(tmp, 0o1777)
		}
		if err != nil {
			panic(err)
		}
		os.Setenv("TMPDIR", tmp)
		os.Setenv(testTmpEnv, tmp)
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	if baseDir != "" {
		os.RemoveAll(baseDir)
	}
	if cacheDir != "" {
		os.RemoveAll(cacheDir)
	}
	os.Exit(code)
}

// busyboxRecipe is the head of a test recipe: package name at version
// 1.0.0-r0, built in a busybox-only environment. The caller appends the
// pipeline (and anything else).
func busyboxRecipe(name string) string {
	return "package:\n  name: " + name + "\n  version: 1.0.0\n  epoch: 0\n" +
		"environment:\n  contents:\n    packages: [busybox]\n"
}
