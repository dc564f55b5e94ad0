package graph

import (
	"strings"
	"testing"
)

// FuzzDepName: any token (from an untrusted recipe) gives a name that is
// a prefix of the token without its leading space, never a conflict.
func FuzzDepName(f *testing.F) {
	for _, s := range []string{"foo", "foo>=1.2", "so:libz.so.1=1.3", "!foo", "bar@edge", " x<2", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		name := depName(tok)
		trimmed := strings.TrimSpace(tok)
		if name != "" && !strings.HasPrefix(trimmed, name) {
			t.Errorf("depName(%q) = %q, not a prefix", tok, name)
		}
		if strings.HasPrefix(trimmed, "!") && name != "" {
			t.Errorf("conflict %q gave need %q", tok, name)
		}
	})
}
