package typo

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	words := []string{"pipeline", "package", "subpackages", "working-directory", "with", "busybox", "busybox-static"}
	for _, tc := range []struct{ word, want string }{
		{"pipline", "pipeline"},
		{"PACKAGE", "package"},
		{"working_directory", "working-directory"},
		{"working-dir", "working-directory"}, // an abbreviation
		{"busybx", "busybox"},
		{"busybox-stati", "busybox-static"},
		{"x", ""},
		{"zzzzzz", ""},
		{strings.Repeat("a", 65), ""},
	} {
		if got := Closest(tc.word, words); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
	if got := Closest("anything", nil); got != "" {
		t.Errorf("no candidates: %q", got)
	}
	for _, tc := range []struct{ word, want string }{
		{"busybx", "busybox"},
		{"busybox-stati", "busybox-static"},
		{"bsybx", ""},    // two edits in six bytes
		{"pipe", ""},     // no abbreviations
		{"wit", ""},      // too short to tell
		{"WITH", "with"}, // case is not an edit
	} {
		if got := Near(tc.word, words); got != tc.want {
			t.Errorf("Near(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
	// Equal distances: the first in byte order, whatever the input order.
	if a, b := Closest("ab", []string{"ax", "aa"}), Closest("ab", []string{"aa", "ax"}); a != "aa" || b != "aa" {
		t.Errorf("ties: %q, %q; want aa", a, b)
	}
}
