package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/pipeline"
)

// Expected is one line of expected.jsonl: what melange made of a recipe.
type Expected struct {
	Recipe      string   `json:"recipe"`
	Package     string   `json:"package"`
	Version     string   `json:"version"`
	Epoch       uint64   `json:"epoch"`
	Subpackages []string `json:"subpackages"`
	Environment []string `json:"environment"`
}

// Result is what pestle made of one recipe and why it differs, if it does.
type Result struct {
	Recipe string
	// Causes are the reasons for disagreement (none when it agrees).
	Causes []string
}

// Report is the outcome of checking a corpus.
type Report struct {
	Total, Agree int
	Results      []Result
	// Elapsed is the time the in-process compiles took.
	Elapsed time.Duration
}

// readExpected reads expected.jsonl (one object a line) with a size bound
// per line.
func readExpected(path string) ([]Expected, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Expected
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var e Expected
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		if e.Recipe == "" || strings.ContainsAny(e.Recipe, `/\`) {
			return nil, fmt.Errorf("%s:%d: recipe %q is not a plain file name", path, line, e.Recipe)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Check compiles every recipe listed in dir/expected.jsonl for x86_64
// with dir/pipelines as the pipeline directory and compares the results.
func Check(dir string) (*Report, error) {
	want, err := readExpected(filepath.Join(dir, "expected.jsonl"))
	if err != nil {
		return nil, err
	}
	var dirs []string
	if st, err := os.Stat(filepath.Join(dir, "pipelines")); err == nil && st.IsDir() {
		dirs = append(dirs, filepath.Join(dir, "pipelines"))
	}
	lib := pipeline.NewLibrary(dirs...)
	rep := &Report{Total: len(want)}
	start := time.Now()
	for _, w := range want {
		res := Result{Recipe: w.Recipe, Causes: checkOne(filepath.Join(dir, "recipes", w.Recipe), w, lib)}
		if len(res.Causes) == 0 {
			rep.Agree++
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// checkOne compiles one recipe and lists how it differs from w.
func checkOne(path string, w Expected, lib *pipeline.Library) []string {
	r, err := pipeline.Load(path, pipeline.LoadOptions{DisplayName: w.Recipe})
	if err != nil {
		return errorCauses("load", w.Recipe, err)
	}
	plan, err := pipeline.Compile(r, pipeline.CompileOptions{Arch: "x86_64", Library: lib})
	if err != nil {
		return errorCauses("compile", w.Recipe, err)
	}
	var causes []string
	if plan.Package.Name != w.Package {
		causes = append(causes, "package name differs")
	}
	if plan.Package.Version != w.Version {
		causes = append(causes, "version differs")
	}
	if plan.Package.Epoch != w.Epoch {
		causes = append(causes, "epoch differs")
	}
	subs := Subpackages(plan)
	if !slices.Equal(subs, nonNil(w.Subpackages)) {
		causes = append(causes, diffCause("subpackages", subs, w.Subpackages, true))
	}
	env := Environment(plan.Environment.Packages)
	if !slices.Equal(env, Environment(w.Environment)) {
		causes = append(causes, diffCause("environment", env, Environment(w.Environment), false))
	}
	return causes
}

// Subpackages lists a plan's subpackages in recipe order, as melange's
// compile does: those built and those left out by a false if:.
func Subpackages(plan *pipeline.Plan) []string {
	var out []string
	add := func(after string) {
		for _, s := range plan.Skipped {
			if s.After == after {
				out = append(out, s.Name)
			}
		}
	}
	add(plan.Packages[0].Name)
	for _, p := range plan.Packages[1:] {
		out = append(out, p.Name)
		add(p.Name)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Environment normalises a package list as expected.jsonl has it: sorted,
// without duplicates, without git and wget.
func Environment(pkgs []string) []string {
	out := slices.DeleteFunc(slices.Clone(pkgs), func(s string) bool { return s == "git" || s == "wget" })
	slices.Sort(out)
	return nonNil(slices.Compact(out))
}

// diffCause names what pestle has in excess (+) and lacks (-) in a list.
func diffCause(field string, got, want []string, ordered bool) string {
	extra, missing := minus(got, want), minus(want, got)
	if len(extra)+len(missing) == 0 && ordered {
		return field + " in another order"
	}
	var b strings.Builder
	b.WriteString(field + " differs:")
	for _, s := range extra {
		b.WriteString(" +" + s)
	}
	for _, s := range missing {
		b.WriteString(" -" + s)
	}
	return b.String()
}

func minus(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

var (
	indexRE   = regexp.MustCompile(`\[\d+\]( \(range [^)]*\))?`)
	wrapperRE = regexp.MustCompile(`: pipeline "[^"]*" has errors$`)
)

// errorCauses turns a load or compile error into one cause per distinct
// message, without positions, hints or list indexes. A problem in a
// pipeline file keeps that file's name.
func errorCauses(stage, recipe string, err error) []string {
	var list pipeline.ErrorList
	if !errors.As(err, &list) {
		list = pipeline.ErrorList{{Msg: err.Error()}}
	}
	var msgs []string
	for _, e := range list {
		msg := indexRE.ReplaceAllString(e.Msg, "[]")
		if e.File != "" && e.File != recipe {
			msg = filepath.Base(filepath.Dir(e.File)) + "/" + filepath.Base(e.File) + ": " + msg
		}
		msgs = append(msgs, stage+": "+msg)
	}
	// "pipeline X has errors" only repeats the errors inside X.
	if inner := slices.DeleteFunc(slices.Clone(msgs), wrapperRE.MatchString); len(inner) > 0 {
		msgs = inner
	}
	slices.Sort(msgs)
	return slices.Compact(msgs)
}

// Cause is one reason for disagreement and the recipes it affects.
type Cause struct {
	Text    string
	Recipes []string
}

// Causes groups the results' causes, most frequent first.
func (r *Report) Causes() []Cause {
	by := map[string][]string{}
	for _, res := range r.Results {
		for _, c := range res.Causes {
			by[c] = append(by[c], res.Recipe)
		}
	}
	out := make([]Cause, 0, len(by))
	for t, rs := range by {
		out = append(out, Cause{Text: t, Recipes: rs})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Recipes) != len(out[j].Recipes) {
			return len(out[i].Recipes) > len(out[j].Recipes)
		}
		return out[i].Text < out[j].Text
	})
	return out
}
