package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"
)

type timing struct {
	total time.Duration
	n     int
	// floor is the mean time of `BIN version` (process start and exit of
	// the same binary, no work), measured in the same run.
	floor time.Duration
}

func (t timing) per() time.Duration {
	if t.n == 0 {
		return 0
	}
	return t.total / time.Duration(t.n)
}

// timeProcesses runs `bin compile --arch x86_64 --pipeline-dir dir/pipelines`
// on every recipe of the corpus in turn and returns the wall time of all.
// A failing compile is counted like any other (the rate says which fail).
func timeProcesses(bin, dir string) (timing, error) {
	want, err := readExpected(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		return timing{}, err
	}
	pdir := filepath.Join(dir, "pipelines")
	start := time.Now()
	for _, w := range want {
		cmd := exec.Command(bin, "compile", "--arch", "x86_64", "--pipeline-dir", pdir, filepath.Join(dir, "recipes", w.Recipe))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return timing{}, fmt.Errorf("running %s: %w", bin, err)
			}
		}
	}
	t := timing{total: time.Since(start), n: len(want)}
	const floorRuns = 200
	start = time.Now()
	for i := 0; i < floorRuns; i++ {
		if err := exec.Command(bin, "version").Run(); err != nil {
			return timing{}, fmt.Errorf("running %s version: %w", bin, err)
		}
	}
	t.floor = time.Since(start) / floorRuns
	return t, nil
}
