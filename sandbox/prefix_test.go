package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/termsafe"
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
		{"crlf: the carriage return dropped", []string{"dos\r\n"}, "> dos\n"},
		{"colours kept", []string{"\x1b[1;31mred\x1b[0m\n"}, "> \x1b[1;31mred\x1b[0m\n"},
		{"window title", []string{"\x1b]0;pwned\x07x\n"}, "> ^[]0;pwned^Gx\n"},
		{"clear screen", []string{"\x1b[2J\x1b[H\n"}, "> ^[[2J^[[H\n"},
		{"line overwritten", []string{"evil\rgood\n"}, "> evil^Mgood\n"},
		{"backspace, delete", []string{"a\bb\x7f\n"}, "> a^Hb^?\n"},
		{"C1 control", []string{"\xc2\x9b2J\n"}, "> \\u009b2J\n"},
		{"UTF-8 kept", []string{"é ✓\n"}, "> é ✓\n"},
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

// A step that writes without a newline does not make pestle hold it
// all: the line comes out in pieces of maxLine.
func TestPrefixWriterBoundsLines(t *testing.T) {
	var out bytes.Buffer
	w := PrefixWriter(&out, "> ")
	chunk := bytes.Repeat([]byte("x"), 300<<10)
	for range 12 { // 3.5 MiB, no newline
		w.Write(chunk)
		if len(w.buf) > maxLine {
			t.Fatalf("holding %d bytes", len(w.buf))
		}
	}
	w.Write([]byte("end\n"))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 || len(lines[0]) != 2+maxLine || !strings.HasSuffix(lines[3], "xend") {
		t.Errorf("%d lines, the first of %d bytes", len(lines), len(lines[0]))
	}
}

// FuzzPrefixWriter: however the input is cut into writes, the output is
// the input's lines, each prefixed, and carries no control character but
// tabs and colour sequences. Input without control characters comes out
// as it went in.
func FuzzPrefixWriter(f *testing.F) {
	f.Add("a\nb\n", uint8(1))
	f.Add("no newline", uint8(3))
	f.Add("\n\n\nx", uint8(2))
	f.Add("\x1b[31mred\x1b[0m \x1b]0;t\x07\r\n", uint8(4))
	f.Fuzz(func(t *testing.T, in string, step uint8) {
		n := int(step%16) + 1
		var out bytes.Buffer
		w := PrefixWriter(&out, "# ")
		for i := 0; i < len(in); i += n {
			w.Write([]byte(in[i:min(i+n, len(in))]))
		}
		w.Flush()
		var lines []string
		if in != "" {
			lines = strings.Split(strings.TrimSuffix(in, "\n"), "\n")
		}
		got := strings.SplitAfter(out.String(), "\n")
		if got[len(got)-1] == "" {
			got = got[:len(got)-1]
		}
		if len(got) != len(lines) {
			t.Fatalf("input %q: %d lines out, want %d", in, len(got), len(lines))
		}
		for i, g := range got {
			if !strings.HasPrefix(g, "# ") || !strings.HasSuffix(g, "\n") {
				t.Fatalf("line %q", g)
			}
			body := g[2 : len(g)-1]
			for j := 0; j < len(body); j++ {
				c := body[j]
				if c == 0x1b {
					k := termsafe.SGRLen([]byte(body[j:]))
					if k == 0 {
						t.Fatalf("input %q: an escape sequence passed: %q", in, body)
					}
					j += k - 1
					continue
				}
				if c < 0x20 && c != '\t' || c == 0x7f || c == 0xc2 && j+1 < len(body) && body[j+1] >= 0x80 && body[j+1] <= 0x9f {
					t.Fatalf("input %q: control byte %#x passed: %q", in, c, body)
				}
			}
			if plain := strings.TrimSuffix(lines[i], "\r"); !strings.ContainsFunc(plain, func(r rune) bool { return r < 0x20 && r != '\t' || r >= 0x7f && r <= 0x9f }) && body != plain {
				t.Fatalf("input line %q came out as %q", lines[i], body)
			}
		}
	})
}

// BenchmarkPrefixWriter passes a compiler-like log (80-byte lines, some
// with colours) through a LineWriter in 32 KiB writes, as a pipe delivers
// a step's output.
func BenchmarkPrefixWriter(b *testing.B) {
	var log []byte
	for i := 0; len(log) < 4<<20; i++ {
		if i%10 == 0 {
			log = fmt.Appendf(log, "\x1b[1m\x1b[31merror:\x1b[0m src/file%d.c:%d: something went wrong here\n", i, i)
		} else {
			log = fmt.Appendf(log, "gcc -O2 -g -c -o obj/file%05d.o src/file%05d.c -Iinclude -DNDEBUG\n", i, i)
		}
	}
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		w := PrefixWriter(io.Discard, "[pkg] ")
		for p := log; len(p) > 0; {
			n := min(len(p), 32<<10)
			w.Write(p[:n])
			p = p[n:]
		}
		w.Flush()
	}
}
