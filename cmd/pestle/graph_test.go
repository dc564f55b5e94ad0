package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const graphSet = "../../pipeline/graph/testdata/set"

func TestGraphCmd(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"graph", graphSet, "--arch", "x86_64"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var g struct {
		Order []string `json:"order"`
		Edges []struct{ From, To string }
	}
	if err := json.Unmarshal(out.Bytes(), &g); err != nil {
		t.Fatalf("graph JSON: %v", err)
	}
	if len(g.Order) == 0 || g.Order[0] != "a" || len(g.Edges) != 10 {
		t.Errorf("order %q, %d edges", g.Order, len(g.Edges))
	}
	if !strings.Contains(errOut.String(), "note: y needs x (test x) closes a cycle") {
		t.Errorf("stderr lacks the note on the test cycle: %s", errOut.String())
	}
	out.Reset()
	if code := run([]string{"graph", graphSet, "--arch", "x86_64", "--format", "dot"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), `"d" -> "b"`) {
		t.Errorf("dot: exit %d, %s", code, out.String())
	}
}

func TestBuildManyFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		msg  string
	}{
		{[]string{"build", graphSet, "--json"}, "--json goes with --dry-run"},
		{[]string{"build", graphSet, "--resume"}, "--resume continues one recipe"},
		{[]string{"build", graphSet, "--dry-run", "--arch", "x86_64"}, "--signing-key"},
		{[]string{"graph", "no-such-dir"}, "no such file"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), tt.msg) {
			t.Errorf("pestle %v: exit %d, stderr %q, want 1 and %q", tt.args, code, errOut.String(), tt.msg)
		}
	}
}
