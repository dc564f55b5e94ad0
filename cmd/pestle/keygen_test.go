package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/keys"
)

// execCLI executes the CLI in-process with args and returns stdout and the error.
func execCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "test.rsa")
	out, err := execCLI(t, "keygen", name, "--key-size", "2048")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "2048 bits") {
		t.Errorf("output %q does not report the key size", out)
	}
	priv, err := keys.LoadPrivate(name)
	if err != nil {
		t.Fatal(err)
	}
	if priv.N.BitLen() != 2048 {
		t.Errorf("key has %d bits", priv.N.BitLen())
	}
	st, _ := os.Stat(name)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %o", st.Mode().Perm())
	}
	if _, err := execCLI(t, "keygen", name, "--key-size", "2048"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("second keygen: %v, want refusal naming --force", err)
	}
	if _, err := execCLI(t, "keygen", filepath.Join(dir, "small.rsa"), "--key-size", "1024"); err == nil {
		t.Error("1024-bit key accepted")
	}
}

func TestRootHelpListsEveryCommandWithExample(t *testing.T) {
	out, err := execCLI(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range newRoot().Commands() {
		if !c.IsAvailableCommand() || c.Name() == "completion" {
			continue
		}
		if !strings.Contains(out, "  "+c.Name()+" ") {
			t.Errorf("help does not list %s", c.Name())
		}
		if c.Example == "" {
			t.Errorf("command %s has no example", c.Name())
		} else if ex := firstExample(c); !strings.Contains(out, "$ "+ex) {
			t.Errorf("help does not show %s's example %q", c.Name(), ex)
		}
	}
}
