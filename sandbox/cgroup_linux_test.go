package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNewCgroup: either a cgroup with the limits written, removed by
// Close, or an error that says why not (no v2, not delegated).
func TestNewCgroup(t *testing.T) {
	cg, err := NewCgroup(Limits{CPUs: 1.5, Memory: 64 << 20})
	if err != nil {
		if !strings.Contains(err.Error(), "cgroup") {
			t.Fatalf("error %q does not say what about cgroups is missing", err)
		}
		t.Logf("no cgroup here: %v", err)
		return
	}
	for file, want := range map[string]string{"cpu.max": "150000 100000", "memory.max": "67108864"} {
		got, err := os.ReadFile(filepath.Join(cg.dir, file))
		if err != nil || strings.TrimSpace(string(got)) != want {
			t.Errorf("%s = %q (%v), want %q", file, got, err, want)
		}
	}
	if err := cg.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cg.dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s", cg.dir)
	}
}
