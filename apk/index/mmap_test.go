//go:build unix

package index

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestMappedIndexShrinks reads a mapped index after the file was cut
// short: the fault must come back as an error, not kill the process.
func TestMappedIndexShrinks(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	data, release, err := mapFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	var sink byte
	read := func() (err error) {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer guardFault(path, &err)
		sink = data[len(data)-1]
		return nil
	}
	if err := read(); err == nil || !strings.Contains(err.Error(), "shrank") {
		t.Fatalf("read of a shrunk mapping: %v (byte %d)", err, sink)
	}
}
