package index

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestLineBounded feeds text in chunks of several sizes: a line of exactly
// maxLine bytes passes, one byte more is refused with its line number,
// wherever the chunk boundaries fall.
func TestLineBounded(t *testing.T) {
	long := strings.Repeat("x", maxLine)
	for _, tc := range []struct {
		name string
		text string
		line int // 0: accepted
	}{
		{"short lines", strings.Repeat("P:a\nV:1\n\n", 1000), 0},
		{"line at the limit", "P:a\n" + long + "\nV:1\n", 0},
		{"last line at the limit, no newline", "P:a\n\n" + long, 0},
		{"line over the limit", "P:a\n\n" + long + "x\nV:1\n", 3},
		{"last line over the limit", "P:a\n" + long + "\n" + long + "x", 3},
		{"first line over the limit", long + "x", 1},
	} {
		for _, chunk := range []int{1 << 20, 4096, 1000003, 7} {
			if chunk == 7 && len(tc.text) > 1<<16 {
				continue
			}
			var out bytes.Buffer
			lb := &lineBounded{w: &out, max: maxText}
			var err error
			for rest := tc.text; len(rest) > 0 && err == nil; {
				n := min(chunk, len(rest))
				_, err = lb.Write([]byte(rest[:n]))
				rest = rest[n:]
			}
			if tc.line == 0 {
				if err != nil || out.String() != tc.text {
					t.Errorf("%s, chunks of %d: err %v, %d of %d bytes through", tc.name, chunk, err, out.Len(), len(tc.text))
				}
				continue
			}
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "line "+itoa(tc.line)+" ") {
				t.Errorf("%s, chunks of %d: err %v, want line %d refused", tc.name, chunk, err, tc.line)
			}
		}
	}
	if _, err := io.Copy(&lineBounded{w: io.Discard, max: 10}, strings.NewReader("0123456789a")); !errors.Is(err, ErrFormat) {
		t.Errorf("text over max: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
