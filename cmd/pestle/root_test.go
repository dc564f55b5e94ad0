package main

import (
	"bytes"
	"testing"

	"github.com/spf13/cobra"
)

// Every command registered under a name must be called so.
func TestNamedCommandsMatchTheirNames(t *testing.T) {
	if len(named) != len(commands) {
		t.Fatalf("%d commands registered, %d names", len(commands), len(named))
	}
	for name, mk := range named {
		if got := mk().Name(); got != name {
			t.Errorf("command registered as %q is called %q", name, got)
		}
	}
}

// A root built for one named command (which traverses the command line
// instead of searching it) behaves as the full root does for that
// command's command lines: same output, same error.
func TestRootForOneCommandBehavesAsFullRoot(t *testing.T) {
	lines := [][]string{
		{"version"},
		{"version", "extra"},
		{"compile", "--help"},
		{"compile"},
		{"compile", "--no-such-flag", "x.yaml"},
		{"compile", "testdata/does-not-exist.yaml"},
		{"compile", "--arch", "x86_64,aarch64", "x.yaml"},
		{"index", "--help"},
		{"index", "--no-such-flag", "a.apk"},
		{"index", "-o", "testdata/no-such-dir/APKINDEX.tar.gz", "testdata/none-1.apk", "testdata/none-2.apk"},
		{"index", "testdata/none-1.apk", "--log-level", "debug", "-o"},
		{"index", "-m", "-o", "testdata/no-such-dir/APKINDEX.tar.gz", "--", "-none.apk"},
		{"sign", "--signing-key", "testdata/no-such.rsa", "x.apk"},
		{"lint", "index", "x.apk"},
		{"build", "--help"},
		{"build", "--arch", "no-such-arch", "x.yaml"},
		{"package-version"},
		{"verify", "--keyring"},
		{"sign-index", "-h"},
	}
	for _, args := range lines {
		full, fullErr := runRoot(newRoot(), args)
		one, oneErr := runRoot(newRootFor(args), args)
		if one != full || errText(oneErr) != errText(fullErr) {
			t.Errorf("%q: built alone gives %q, %v; full root gives %q, %v", args, one, oneErr, full, fullErr)
		}
	}
	if n := len(newRootFor([]string{"compile"}).Commands()); n != 1 {
		t.Errorf("root for compile has %d commands, want 1", n)
	}
}

func runRoot(root *cobra.Command, args []string) (string, error) {
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
