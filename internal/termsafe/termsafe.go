// Package termsafe makes untrusted text safe to show on a terminal or in
// a log that one renders: a build step's output, names and messages that
// come from packages and recipes. Colours pass; every other escape
// sequence and control character is shown in caret notation.
package termsafe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// AppendLine appends line (without its newline) to out, with what could
// drive a terminal made visible. A step's output reaches the user's
// terminal and CI logs, where an escape sequence can move the cursor,
// rewrite or hide lines, set the window title or write the clipboard.
// Colours (SGR: ESC [ digits and ; or : then m) and tabs are kept, a
// carriage return ending the line (CRLF) is dropped, and any other
// control character is written in caret notation (ESC as ^[, CR as ^M;
// a C1 control as \u009b).
func AppendLine(out, line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	plain := 0 // start of the run of bytes passed as they are
	for i := 0; i < len(line); i++ {
		for i+8 <= len(line) && plainWord(binary.LittleEndian.Uint64(line[i:])) {
			i += 8
		}
		if i == len(line) {
			break
		}
		c := line[i]
		if c >= 0x20 && c < 0x7f || c == '\t' || c >= 0x80 && c != 0xc2 {
			continue
		}
		out = append(out, line[plain:i]...)
		switch {
		case c == 0x1b:
			if n := SGRLen(line[i:]); n > 0 {
				out = append(out, line[i:i+n]...)
				i += n - 1
			} else {
				out = append(out, '^', '[')
			}
		case c < 0x20:
			out = append(out, '^', c+'@')
		case c == 0x7f:
			out = append(out, '^', '?')
		case i+1 < len(line) && line[i+1] >= 0x80 && line[i+1] <= 0x9f: // 0xc2: a C1 control
			out = fmt.Appendf(out, "\\u%04x", line[i+1])
			i++
		default: // 0xc2 starting another character
			out = append(out, c)
		}
		plain = i + 1
	}
	return append(out, line[plain:]...)
}

// plainWord reports whether none of the eight bytes of x is below 0x20,
// 0x7f or 0xc2: what AppendLine passes as it is, checked a word at a
// time (tabs take the byte-wise path).
func plainWord(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	zero := func(v uint64) uint64 { return (v - lo) & ^v & hi }
	return (x-0x20*lo)&^x&hi|zero(x^0x7f*lo)|zero(x^0xc2*lo) == 0
}

// SGRLen is the length of the SGR sequence (ESC [ [0-9;:]* m) that b
// starts with, or 0.
func SGRLen(b []byte) int {
	if len(b) < 3 || b[1] != '[' {
		return 0
	}
	for i := 2; i < len(b) && i < 64; i++ {
		switch c := b[i]; {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9' || c == ';' || c == ':':
		default:
			return 0
		}
	}
	return 0
}

// String is s made safe line by line: its newlines are kept, everything
// else as AppendLine does.
func String(s string) string {
	if !HasControl(s) {
		return s
	}
	lines := strings.Split(s, "\n")
	var out []byte
	for i, l := range lines {
		if i > 0 {
			out = append(out, '\n')
		}
		out = AppendLine(out, []byte(l))
	}
	return string(out)
}

// HasControl reports whether s holds a byte AppendLine would change or
// keep as a colour: a control character (but tab and newline), DEL, or
// a C1 control.
func HasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f {
			return true
		}
	}
	return false
}
