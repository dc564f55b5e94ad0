package pipeline

import (
	"os/exec"
	"testing"
)

func TestQuoteArg(t *testing.T) {
	for in, want := range map[string]string{
		"melange.yaml":                   "melange.yaml",
		"--repository-append=./packages": "--repository-append=./packages",
		"--signing-key=my key.rsa":       `'--signing-key=my key.rsa'`,
		"it's":                           `'it'\''s'`,
		"":                               "''",
		"$HOME":                          `'$HOME'`,
	} {
		got := QuoteArg(in)
		if got != want {
			t.Errorf("QuoteArg(%q) = %s, want %s", in, got, want)
		}
		// The shell reads it back as the one word it was.
		out, err := exec.Command("/bin/sh", "-c", `printf %s `+got).Output()
		if err != nil || string(out) != in {
			t.Errorf("sh reads %s as %q (%v), want %q", got, out, err, in)
		}
	}
}
