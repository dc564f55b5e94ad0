package batch

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Outcome is what happened to a recipe.
type Outcome string

// Outcomes.
const (
	Built       Outcome = "built"
	UpToDate    Outcome = "up to date"
	WillBuild   Outcome = "will build" // --dry-run
	Failed      Outcome = "failed"
	Skipped     Outcome = "skipped" // a dependency failed
	NotStarted  Outcome = "not started"
	NotTargeted Outcome = "not for this arch"
	inProgress  Outcome = "running"
)

// ok reports whether dependants may go on.
func (o Outcome) ok() bool { return o == Built || o == UpToDate || o == WillBuild }

// Result is one recipe of a run.
type Result struct {
	Name    string  `json:"name"`
	Recipe  string  `json:"recipe"`
	Outcome Outcome `json:"outcome"`
	// Why is why it builds (not up to date), why it was skipped, or the
	// error it failed with.
	Why string `json:"why,omitempty"`
	// Step and Line name the failing step and its recipe line.
	Step string `json:"step,omitempty"`
	Line int    `json:"line,omitempty"`
	// BlockedBy is the failed recipe that made this one skipped.
	BlockedBy string `json:"blocked-by,omitempty"`
	Log       string `json:"log,omitempty"`
	// Key and Inputs are the recipe's key and what it was made from.
	Key    string     `json:"key,omitempty"`
	Inputs *KeyInputs `json:"inputs,omitempty"`
	// Deps are the recipes it needs; Outputs its packages (names before
	// a build, files after).
	Deps    []string `json:"deps,omitempty"`
	Outputs []string `json:"outputs"`
	// Started and Finished order the run's events (0: never).
	Started  int           `json:"-"`
	Finished int           `json:"-"`
	Duration time.Duration `json:"-"`
	Err      error         `json:"-"`
}

// Report is the result of a run.
type Report struct {
	Arch string `json:"arch"`
	// Results are in build order, then the recipes that could not be
	// ordered (cycles) and those not built for the architecture.
	Results []*Result `json:"results"`
	// Notes are the graph's: soft needs left out of the order because
	// they close a cycle.
	Notes []string `json:"notes,omitempty"`
}

func (s *scheduler) report() *Report {
	rep := &Report{Arch: s.arch, Notes: s.g.Notes}
	seen := map[string]bool{}
	for _, name := range s.order {
		rep.Results = append(rep.Results, s.results[name])
		seen[name] = true
	}
	var rest []*Result
	for _, n := range s.g.Nodes {
		if _, in := s.results[n.Name]; in && !seen[n.Name] {
			rest = append(rest, s.results[n.Name])
		}
	}
	sort.SliceStable(rest, func(i, j int) bool { return rest[i].Outcome < rest[j].Outcome })
	rep.Results = append(rep.Results, rest...)
	return rep
}

// OK reports whether every recipe built, was up to date or is not built
// for the architecture.
func (r *Report) OK() bool {
	for _, res := range r.Results {
		if !res.Outcome.ok() && res.Outcome != NotTargeted {
			return false
		}
	}
	return true
}

// Count returns how many recipes had outcome o.
func (r *Report) Count(o Outcome) int {
	n := 0
	for _, res := range r.Results {
		if res.Outcome == o {
			n++
		}
	}
	return n
}

// Table writes one line per recipe (recipe, result, time, detail) and a
// total.
func (r *Report) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECIPE\tRESULT\tTIME\tDETAIL")
	for _, res := range r.Results {
		t := ""
		if res.Outcome == Built || res.Outcome == Failed {
			t = res.Duration.Round(10 * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", res.Name, res.Outcome, t, res.detail())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, o := range []Outcome{Built, WillBuild, UpToDate, Failed, Skipped, NotStarted, NotTargeted} {
		if n := r.Count(o); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, o))
		}
	}
	if _, err := fmt.Fprintf(w, "%s: %s\n", r.Arch, strings.Join(parts, ", ")); err != nil {
		return err
	}
	for _, n := range r.Notes {
		if _, err := fmt.Fprintf(w, "note: %s\n", n); err != nil {
			return err
		}
	}
	return nil
}

// detail is the table's last column.
func (res *Result) detail() string {
	switch res.Outcome {
	case Failed:
		d := res.Why
		if res.Step != "" {
			d = fmt.Sprintf("step %q at %s:%d", res.Step, res.Recipe, res.Line)
		}
		if first, _, _ := strings.Cut(d, "\n"); first != d {
			d = first + " …"
		}
		if res.Log != "" {
			d += " (log: " + res.Log + ")"
		}
		return d
	case UpToDate:
		return ""
	}
	return res.Why
}

// syncWriter serialises writes from a build's concurrent outputs.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
