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

// plainWord agrees with the byte-wise rule on every byte value in every
// position.
func TestPlainWord(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x7f || c >= 0x80 && c != 0xc2 }
	for c := 0; c < 256; c++ {
		for pos := range 8 {
			for _, fill := range []byte{'a', 0x80, 0xff, 0x20, 0x7e} {
				var w [8]byte
				for i := range w {
					w[i] = fill
				}
				w[pos] = byte(c)
				x := uint64(0)
				for i := 7; i >= 0; i-- {
					x = x<<8 | uint64(w[i])
				}
				if plainWord(x) && !plain(byte(c)) {
					t.Fatalf("byte %#x at %d among %#x passed as plain", c, pos, fill)
				}
				if !plainWord(x) && plain(byte(c)) && plain(fill) {
					t.Errorf("byte %#x at %d among %#x not plain", c, pos, fill)
				}
			}
		}
	}
}
