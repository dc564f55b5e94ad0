//go:build amd64 || arm64

package sandbox

import (
	"runtime"
	"testing"
)

// TestSeccompNumbersMatchHost checks the host arch's table, call by call,
// against golang.org/x/sys/unix (the other arch's table is checked when
// the tests run there).
func TestSeccompNumbersMatchHost(t *testing.T) {
	a, _ := seccompTable(runtime.GOARCH)
	if a.audit != hostAudit {
		t.Errorf("audit arch %#x, want %#x", a.audit, uint32(hostAudit))
	}
	seen := map[string]bool{}
	for _, list := range [][]sysNum{a.deny, a.ptrace, a.cloneUser, a.noSys} {
		for _, s := range list {
			want, ok := hostSyscalls[s.name]
			if !ok {
				t.Errorf("%s: not in the cross-check list", s.name)
			} else if s.nr != want {
				t.Errorf("%s: %d in the table, %d in x/sys/unix", s.name, s.nr, want)
			}
			if seen[s.name] {
				t.Errorf("%s listed twice", s.name)
			}
			seen[s.name] = true
		}
	}
	if len(seen) != len(hostSyscalls) {
		t.Errorf("%d calls in the table, %d cross-checked", len(seen), len(hostSyscalls))
	}
}
