package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

type timing struct {
	total time.Duration
	n     int
	// floor is the mean time of `BIN version` (process start and exit of
	// the same binary, no work), measured in the same run.
	floor time.Duration
	// The median CPU time (user+sys) of one process: a compile, `BIN
	// version`, and a hello-world Go program (the least any Go process
	// costs), run interleaved so that the machine's load weighs on all
	// three alike. CPU time rather than wall time: on a busy machine
	// the latter mostly measures the wait for a core.
	cpuCompile, cpuVersion, cpuHello time.Duration
}

func (t timing) per() time.Duration {
	if t.n == 0 {
		return 0
	}
	return t.total / time.Duration(t.n)
}

// floorEvery is how many compiles run between two runs of each floor.
const floorEvery = 4

// timeProcesses runs `bin compile --arch x86_64 --pipeline-dir dir/pipelines`
// on every recipe of the corpus in turn, with `bin version` and a
// hello-world program between them, and returns their times.
// A failing compile is counted like any other (the rate says which fail).
func timeProcesses(bin, dir string) (timing, error) {
	want, err := readExpected(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		return timing{}, err
	}
	hello, cleanup, err := buildHello()
	if err != nil {
		return timing{}, err
	}
	defer cleanup()
	pdir := filepath.Join(dir, "pipelines")
	var t timing
	var compiles, versions, hellos []time.Duration
	var versionWall time.Duration
	for i, w := range want {
		cpu, wall, err := runOne(bin, "compile", "--arch", "x86_64", "--pipeline-dir", pdir, filepath.Join(dir, "recipes", w.Recipe))
		if err != nil {
			return timing{}, err
		}
		compiles = append(compiles, cpu)
		t.total += wall
		if i%floorEvery != 0 {
			continue
		}
		cpu, wall, err = runOne(bin, "version")
		if err != nil {
			return timing{}, err
		}
		versions, versionWall = append(versions, cpu), versionWall+wall
		if cpu, _, err = runOne(hello); err != nil {
			return timing{}, err
		}
		hellos = append(hellos, cpu)
	}
	t.n = len(want)
	if len(versions) > 0 {
		t.floor = versionWall / time.Duration(len(versions))
	}
	t.cpuCompile, t.cpuVersion, t.cpuHello = median(compiles), median(versions), median(hellos)
	return t, nil
}

// runOne runs a process and returns its CPU time (user+sys) and wall
// time. Only a process that could not start is an error.
func runOne(bin string, args ...string) (cpu, wall time.Duration, err error) {
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall = time.Since(start)
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return 0, 0, fmt.Errorf("running %s: %w", bin, err)
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), wall, nil
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

// helloSource is the floor program: it starts, writes nothing and exits.
const helloSource = "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"\") }\n"

// buildHello builds the hello-world floor as pestle is built (static,
// stripped) and returns its path and a function removing it.
func buildHello() (string, func(), error) {
	dir, err := os.MkdirTemp("", "compat-hello-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	files := map[string]string{"go.mod": "module hello\n", "main.go": helloSource}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			cleanup()
			return "", nil, err
		}
	}
	bin := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("building the hello-world floor: %v\n%s", err, out)
	}
	return bin, cleanup, nil
}
