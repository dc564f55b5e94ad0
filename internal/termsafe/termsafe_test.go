package termsafe

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, two\nlines\ttabbed":       "plain text, two\nlines\ttabbed",
		"file \x1b]0;owned\x07name":            "file ^[]0;owned^Gname",
		"\x1b[31mred\x1b[0m":                   "\x1b[31mred\x1b[0m",
		"crlf\r\nnext":                         "crlf\nnext",
		"over\rwrite":                          "over^Mwrite",
		"nul\x00 del\x7f c1\xc2\x9b":           "nul^@ del^? c1\\u009b",
		"é, ✓ and invalid \xff\xfe UTF-8 stay": "é, ✓ and invalid \xff\xfe UTF-8 stay",
		"\x1b[":      "^[[",
		"\x1b[12;34": "^[[12;34",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
		if HasControl(in) != (in != want || strings.Contains(in, "\x1b")) {
			t.Errorf("HasControl(%q) = %v", in, HasControl(in))
		}
	}
}
