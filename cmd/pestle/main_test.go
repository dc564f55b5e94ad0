package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("package:\n  name: x\n  version: 1.0\npipline: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"version"}, 0, ""},
		{[]string{"compile", bad}, 1, `unknown key "pipline"`},
		{[]string{"build", filepath.Join(dir, "missing.yaml")}, 1, "no such file"},
		{[]string{"no-such-command"}, 1, "unknown command"},
	} {
		var out, errOut bytes.Buffer
		code := run(tt.args, &out, &errOut)
		if code != tt.code {
			t.Errorf("pestle %v exited %d, want %d (stderr %q)", tt.args, code, tt.code, errOut.String())
		}
		if tt.msg != "" && !strings.Contains(out.String()+errOut.String(), tt.msg) {
			t.Errorf("pestle %v output lacks %q: %q", tt.args, tt.msg, out.String()+errOut.String())
		}
	}
}
