package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckCorpus(t *testing.T) {
	rep, err := Check("testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != 4 || rep.Agree != 2 {
		t.Fatalf("agree %d of %d, want 2 of 4", rep.Agree, rep.Total)
	}
	got := map[string]string{}
	for _, r := range rep.Results {
		got[r.Recipe] = strings.Join(r.Causes, " | ")
	}
	want := map[string]string{
		"agree.yaml":   "",
		"skipped.yaml": "",
		"differs.yaml": "epoch differs | subpackages differs: -differs-dev | environment differs: -build-base",
		"broken.yaml":  `load: unknown key "colour" in package`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: causes %q, want %q", k, got[k], w)
		}
	}
}

func TestRatchet(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ratchet")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	write("3\n")
	if err := run(&out, "testdata/corpus", file, false, "", false); err == nil || !strings.Contains(err.Error(), "fewer than the 3") {
		t.Fatalf("below the ratchet: err = %v", err)
	}
	write("0\n")
	if err := run(&out, "testdata/corpus", file, true, "", false); err != nil {
		t.Fatal(err)
	}
	if n, err := readRatchet(file); err != nil || n != 2 {
		t.Fatalf("ratchet after update = %d, %v; want 2", n, err)
	}
	write("2\n")
	if err := run(&out, "testdata/corpus", file, true, "", false); err != nil {
		t.Fatal(err)
	}
	if n, _ := readRatchet(file); n != 2 {
		t.Fatalf("ratchet moved to %d on an equal run", n)
	}
	write("x")
	if err := run(&out, "testdata/corpus", file, false, "", false); err == nil {
		t.Fatal("a ratchet file without a number was accepted")
	}
	if !strings.Contains(out.String(), "agreement: 2 of 4 recipes (50.0%)") {
		t.Errorf("report lacks the rate:\n%s", out.String())
	}
}

func TestEnvironment(t *testing.T) {
	got := Environment([]string{"make", "git", "busybox", "make", "wget"})
	if strings.Join(got, ",") != "busybox,make" {
		t.Errorf("Environment = %v", got)
	}
}

// The ratchet recorded in the repository must stay a number the check can
// read, whether or not a corpus is at hand.
func TestRepositoryRatchet(t *testing.T) {
	n, err := readRatchet("../../testdata/compat-ratchet")
	if err != nil {
		t.Fatal(err)
	}
	if n < 1 {
		t.Errorf("testdata/compat-ratchet is %d; the corpus agreed on more", n)
	}
}

func TestTimeProcesses(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	bin := filepath.Join(dir, "fake-pestle")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"$1 $2 $3\" >> "+log+"\n[ \"$1\" = version ] || exit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tm, err := timeProcesses(bin, "testdata/corpus")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	compiles := 0
	for _, l := range lines {
		if l == "compile --arch x86_64" {
			compiles++
		}
	}
	// A failing compile counts like any other: the rate says which fail.
	// One version between every floorEvery compiles, starting with the first.
	versions := (4 + floorEvery - 1) / floorEvery
	if tm.n != 4 || compiles != 4 || len(lines) != 4+versions || tm.floor <= 0 || tm.per() <= 0 {
		t.Errorf("n=%d compiles=%d calls=%d floor=%v per=%v", tm.n, compiles, len(lines), tm.floor, tm.per())
	}
	if tm.cpuCompile <= 0 || tm.cpuVersion <= 0 || tm.cpuHello <= 0 {
		t.Errorf("CPU a process: compile %v, version %v, hello-world %v; want all above zero", tm.cpuCompile, tm.cpuVersion, tm.cpuHello)
	}
}
