package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	fs := flag.NewFlagSet("compat", flag.ExitOnError)
	ratchet := fs.String("ratchet", "", "file holding the least number of recipes that must agree")
	update := fs.Bool("update-ratchet", false, "raise the ratchet to this run's figure (never lowers it)")
	execBin := fs.String("exec", "", "also time `BIN compile` on each recipe, one process each")
	verbose := fs.Bool("v", false, "list every recipe of every cause")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compat [-ratchet FILE] [-update-ratchet] [-exec BIN] [-v] CORPUS")
		fs.PrintDefaults()
	}
	fs.Parse(os.Args[1:])
	if fs.NArg() != 1 {
		fs.Usage()
		os.Exit(2)
	}
	if err := run(os.Stdout, fs.Arg(0), *ratchet, *update, *execBin, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir, ratchet string, update bool, execBin string, verbose bool) error {
	rep, err := Check(dir)
	if err != nil {
		return err
	}
	rep.Print(w, verbose)
	if execBin != "" {
		t, err := timeProcesses(execBin, dir)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "one process each: %d recipes in %s (%s a recipe; `%s version` alone: %s), %s in-process\n",
			rep.Total, t.total.Round(1e6), t.per().Round(1e4), execBin, t.floor.Round(1e4), rep.Elapsed.Round(1e6))
		fmt.Fprintf(w, "CPU (user+sys) a process, median: compile %s, `version` %s, hello-world Go program %s; compile = %.2f× hello-world\n",
			t.cpuCompile.Round(1e4), t.cpuVersion.Round(1e4), t.cpuHello.Round(1e4), ratio(t.cpuCompile, t.cpuHello))
	}
	if ratchet == "" {
		return nil
	}
	floor, err := readRatchet(ratchet)
	if err != nil {
		return err
	}
	switch {
	case rep.Agree < floor:
		return fmt.Errorf("%d recipes agree, fewer than the %d recorded in %s", rep.Agree, floor, ratchet)
	case rep.Agree > floor && update:
		fmt.Fprintf(w, "ratchet %s: %d -> %d\n", ratchet, floor, rep.Agree)
		return os.WriteFile(ratchet, []byte(strconv.Itoa(rep.Agree)+"\n"), 0o644)
	case rep.Agree > floor:
		fmt.Fprintf(w, "%d agree, above the ratchet (%d): raise it with make compat-ratchet\n", rep.Agree, floor)
	}
	return nil
}

func readRatchet(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: want a non-negative number, got %q", path, strings.TrimSpace(string(data)))
	}
	return n, nil
}

// Print writes the rate and the causes, most frequent first.
func (r *Report) Print(w io.Writer, verbose bool) {
	pct := 0.0
	if r.Total > 0 {
		pct = 100 * float64(r.Agree) / float64(r.Total)
	}
	fmt.Fprintf(w, "agreement: %d of %d recipes (%.1f%%)\n", r.Agree, r.Total, pct)
	causes := r.Causes()
	if len(causes) > 0 {
		fmt.Fprintln(w, "causes of disagreement (recipes: cause, e.g.):")
	}
	for _, c := range causes {
		eg := c.Recipes
		if !verbose && len(eg) > 3 {
			eg = eg[:3]
		}
		fmt.Fprintf(w, "%6d  %s  (%s)\n", len(c.Recipes), c.Text, strings.Join(eg, " "))
	}
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
