package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Log values and the final error quote names from recipes, packages and
// steps: none may forge a line or reach the terminal as an escape
// sequence.
func TestLogAndErrorsAreTerminalSafe(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(newLineHandler(&buf, slog.LevelInfo))
	log.Info("scanned \x1b[2Jpackage", "file", "a\x1b]0;owned\x07b", "name", "two\nlines", "plain", "ok", "spaced", "a b")
	got := buf.String()
	if strings.Count(got, "\n") != 1 || strings.ContainsRune(got, 0x1b) {
		t.Fatalf("log line %q", got)
	}
	for _, want := range []string{"scanned ^[[2Jpackage", `file="a\x1b]0;owned\ab"`, `name="two\nlines"`, " plain=ok", `spaced="a b"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %q", got, want)
		}
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"compile", t.TempDir() + "/evil\x1b]0;owned\x07.yaml"}, &stdout, &stderr); code == 0 {
		t.Fatal("compile of a missing recipe passed")
	}
	if strings.ContainsRune(stderr.String(), 0x1b) || !strings.Contains(stderr.String(), "evil^[]0;owned^G.yaml") {
		t.Errorf("error %q", stderr.String())
	}
}
