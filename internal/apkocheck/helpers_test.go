package apkocheck

import (
	"context"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
	"github.com/chainguard-dev/clog"

	"github.com/pestle-dev/pestle/keys"
)

var (
	keyOnce sync.Once
	keyVal  *rsa.PrivateKey
	keyErr  error
)

// testKey is one 2048-bit signing key shared by the tests of this binary.
func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { keyVal, keyErr = keys.Generate(2048) })
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return keyVal
}

// hostArch is the apk architecture of the machine running the tests.
func hostArch() string { return apkoapk.ArchToAPK(runtime.GOARCH) }

// newRepo builds the sample repository in a fresh temporary directory.
func newRepo(t *testing.T, opts RepoOptions) *Repository {
	t.Helper()
	r, err := BuildRepository(t.TempDir(), hostArch(), testKey(t), Samples(hostArch()), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func publicPEM(t *testing.T, r *Repository) []byte {
	t.Helper()
	b, err := os.ReadFile(r.KeyPath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// recorder is a slog handler that keeps what apko logs, so that a test can
// fail on any warning apko raises about pestle's output.
type recorder struct {
	*records
	attrs []slog.Attr
}

type records struct {
	mu      sync.Mutex
	lines   []string
	relaxed bool // warnings were provoked on purpose
}

func newRecorder() *recorder { return &recorder{records: &records{}} }

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	for _, a := range r.attrs {
		fmt.Fprintf(&b, " %s", a)
	}
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s", a)
		return true
	})
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	c := *r
	c.attrs = append(append([]slog.Attr(nil), r.attrs...), as...)
	return &c
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

// at returns the recorded lines at level l or above.
func (r *recorder) at(l slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, line := range r.lines {
		lv, _, _ := strings.Cut(line, " ")
		var level slog.Level
		if level.UnmarshalText([]byte(lv)) == nil && level >= l {
			out = append(out, line)
		}
	}
	return out
}

// apkoContext returns a context whose clog logger records apko's messages.
// At the end of the test every apko warning or error is reported as a
// failure unless the test called allowWarnings; everything apko logged is
// shown when the test fails.
func apkoContext(t *testing.T) (context.Context, *recorder) {
	t.Helper()
	rec := newRecorder()
	ctx := clog.WithLogger(t.Context(), clog.New(rec))
	t.Cleanup(func() {
		rec.mu.Lock()
		relaxed := rec.relaxed
		rec.mu.Unlock()
		if !relaxed {
			for _, l := range rec.at(slog.LevelWarn) {
				t.Errorf("apko warned: %s", l)
			}
		}
		if t.Failed() {
			for _, l := range rec.at(slog.LevelDebug) {
				t.Log("apko log: " + l)
			}
		}
	})
	return ctx, rec
}

// allowWarnings stops the end-of-test failure on apko warnings, for tests
// that provoke them on purpose.
func (r *recorder) allowWarnings() {
	r.mu.Lock()
	r.relaxed = true
	r.mu.Unlock()
}
