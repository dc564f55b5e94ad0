package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces design.md's layering: keys imports nothing of
// ours, apk only keys, sandbox nothing of ours, and no library imports
// cobra. internal/fsutil (atomic writes, tree removal), internal/httpget
// (the downloaders' error type, retry rule and progress hook),
// internal/termsafe (untrusted text made safe for a terminal) and
// internal/typo ("did you mean" hints) are the shared leaves below them
// all: they import only the standard library.
func TestImportRules(t *testing.T) {
	const mod = "github.com/pestle-dev/pestle/"
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "../../...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	leaves := map[string]bool{mod + "internal/fsutil": true, mod + "internal/httpget": true, mod + "internal/termsafe": true, mod + "internal/typo": true}
	allowed := map[string][]string{
		"keys":     {},
		"apk":      {"keys", "apk"},
		"sandbox":  {"sandbox"},
		"pipeline": {"keys", "apk", "sandbox", "pipeline"},
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(p.ImportPath, mod)
		top, _, _ := strings.Cut(rel, "/")
		ok, ruled := allowed[top]
		if leaves[p.ImportPath] {
			ok, ruled = nil, true
		}
		if !ruled {
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if strings.Contains(imp, "spf13/cobra") {
				t.Errorf("%s imports cobra: only cmd/pestle may", rel)
			}
			if !strings.HasPrefix(imp, mod) || leaves[imp] && !leaves[p.ImportPath] {
				continue
			}
			itop, _, _ := strings.Cut(strings.TrimPrefix(imp, mod), "/")
			if !contains(ok, itop) {
				t.Errorf("%s imports %s: %s may import only %v", rel, imp, top, ok)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no library package listed")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
