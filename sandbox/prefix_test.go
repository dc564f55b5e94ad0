package sandbox

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestPrefixWriter(t *testing.T) {
	cases := []struct {
		name   string
		writes []string
		want   string // after Flush
	}{
		{"one line", []string{"hello\n"}, "> hello\n"},
		{"split line", []string{"hel", "lo\nwor", "ld\n"}, "> hello\n> world\n"},
		{"many lines in one write", []string{"a\nb\nc\n"}, "> a\n> b\n> c\n"},
		{"empty lines", []string{"\n\n"}, "> \n> \n"},
		{"partial last line", []string{"a\nno newline"}, "> a\n> no newline\n"},
		{"nothing", nil, ""},
		{"crlf kept", []string{"dos\r\n"}, "> dos\r\n"},
	}
	for _, c := range cases {
		var out bytes.Buffer
		w := PrefixWriter(&out, "> ")
		for _, s := range c.writes {
			if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
				t.Fatalf("%s: Write = %d, %v", c.name, n, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("%s: got %q, want %q", c.name, out.String(), c.want)
		}
	}
}

func TestPrefixWriterHoldsPartialLine(t *testing.T) {
	var out bytes.Buffer
	w := PrefixWriter(&out, "p| ")
	w.Write([]byte("incomplete"))
	if out.Len() != 0 {
		t.Fatalf("partial line written early: %q", out.String())
	}
	w.Write([]byte(" now\n"))
	if out.String() != "p| incomplete now\n" {
		t.Fatalf("got %q", out.String())
	}
}

// TestPrefixWriterConcurrent writes from many goroutines to one
// bytes.Buffer: some through their own LineWriter in pieces, some through
// a shared LineWriter in whole lines. Every line must come out whole. Run
// with -race.
func TestPrefixWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	shared := PrefixWriter(&out, "shared| ")
	var wg sync.WaitGroup
	const perG = 200
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := PrefixWriter(&out, "own| ")
			for i := range perG {
				line := fmt.Sprintf("g%d line %d\n", g, i)
				if g%2 == 0 {
					shared.Write([]byte(line))
					continue
				}
				own.Write([]byte(line[:3]))
				own.Write([]byte(line[3:]))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8*perG {
		t.Fatalf("%d lines, want %d", len(lines), 8*perG)
	}
	for _, l := range lines {
		var p string
		var g, i int
		if _, err := fmt.Sscanf(l, "%s g%d line %d", &p, &g, &i); err != nil || p != map[bool]string{true: "shared|", false: "own|"}[g%2 == 0] {
			t.Fatalf("mangled line %q", l)
		}
	}
}

// FuzzPrefixWriter: however the input is cut into writes, the output is
// the input's lines, each prefixed.
func FuzzPrefixWriter(f *testing.F) {
	f.Add("a\nb\n", uint8(1))
	f.Add("no newline", uint8(3))
	f.Add("\n\n\nx", uint8(2))
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		n := int(step%16) + 1
		var out bytes.Buffer
		w := PrefixWriter(&out, "# ")
		for i := 0; i < len(in); i += n {
			w.Write([]byte(in[i:min(i+n, len(in))]))
		}
		w.Flush()
		var want strings.Builder
		if in != "" {
			body := strings.TrimSuffix(in, "\n")
			for _, l := range strings.Split(body, "\n") {
				want.WriteString("# " + l + "\n")
			}
		}
		if out.String() != want.String() {
			t.Fatalf("input %q in steps of %d: got %q, want %q", in, n, out.String(), want.String())
		}
	})
}
