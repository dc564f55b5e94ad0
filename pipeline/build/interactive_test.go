package build

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// TestCheckInteractive: --interactive opens the shell only on a terminal.
// On /dev/null or a pipe, the shell would read end-of-file, exit 0 and
// turn the failed step into a pass, so the option is turned off with a
// warning; a reader a library caller hands over is left as it is.
func TestCheckInteractive(t *testing.T) {
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("a terminal to test with: %v", err)
	}
	defer ptmx.Close()
	for _, c := range []struct {
		name  string
		stdin io.Reader
		keep  bool
	}{
		{"no stdin", nil, false},
		{"/dev/null", devNull, false},
		{"a pipe", pr, false},
		{"a terminal", ptmx, true},
		{"a reader of the caller's", strings.NewReader("exit 0\n"), true},
	} {
		var logs strings.Builder
		o := EnvOptions{Interactive: true, Stdin: c.stdin}
		o.checkInteractive(slog.New(slog.NewTextHandler(&logs, nil)))
		if o.Interactive != c.keep || strings.Contains(logs.String(), "needs a terminal") == c.keep {
			t.Errorf("%s: Interactive %v, log %q; want it kept: %v", c.name, o.Interactive, logs.String(), c.keep)
		}
	}
}
