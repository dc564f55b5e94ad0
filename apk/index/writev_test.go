package index

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteParts writes more pieces than one system call takes, empty
// ones among them, and reads back their concatenation.
func TestWriteParts(t *testing.T) {
	var parts [][]byte
	var want []byte
	for i := range 2500 {
		p := bytes.Repeat([]byte{byte(i)}, i%7*100)
		parts = append(parts, p)
		want = append(want, p...)
	}
	path := filepath.Join(t.TempDir(), "f")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeParts(f, parts); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := mustRead(t, path); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d: %s", len(got), len(want), firstDiff(got, want))
	}
	if len(parts[1]) != 100 {
		t.Fatal("the caller's pieces were changed")
	}
}

// TestAdvance drops written bytes across and inside pieces.
func TestAdvance(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{{0, "ab|cde|f"}, {1, "b|cde|f"}, {2, "cde|f"}, {4, "e|f"}, {6, ""}}
	for _, tt := range tests {
		parts := advance([][]byte{[]byte("ab"), []byte("cde"), []byte("f")}, tt.n)
		if got := string(bytes.Join(parts, []byte("|"))); got != tt.want {
			t.Errorf("advance(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
