package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/graph"
)

// Options describe a run over a graph.
type Options struct {
	// Build is the template of every build; Recipe is set per recipe.
	Build build.Options
	// Jobs is how many recipes build at once (at least 1).
	Jobs int
	// KeepGoing builds everything that does not need a failed recipe;
	// without it no new build starts after the first failure.
	KeepGoing bool
	// Force builds every recipe even when it is up to date.
	Force bool
	// DryRun computes keys and says what would build, building nothing.
	DryRun bool
	// LogDir receives <recipe>.log for each build ("pestle-logs" when
	// empty).
	LogDir string
	// LogDirChosen says the user named LogDir (--log-dir); the default is
	// refused when it is a symlink (see fsutil.NotALink).
	LogDirChosen bool
	// Only, when set, names the recipes to build; the recipes they need
	// must be up to date already (an external executor runs one node of
	// the plan per job this way). Other recipes are left out.
	Only []string
	// Version is pestle's version, part of every key.
	Version string
	// Logger is told when a recipe starts and ends; nil discards.
	Logger *slog.Logger

	// build and inputs are test seams (nil: build.Build and
	// build.ResolveInputs).
	build  func(context.Context, build.Options) (*build.Result, error)
	inputs func(context.Context, build.Options) (*build.Inputs, error)
}

// Run builds the recipes of g in dependency order. It returns an error
// only when the run could not start; what happened to each recipe is in
// the report (see Report.OK).
func Run(ctx context.Context, g *graph.Graph, opts Options) (*Report, error) {
	if opts.Jobs < 1 {
		opts.Jobs = 1
	}
	if opts.LogDir == "" {
		opts.LogDir = "pestle-logs"
	}
	if !opts.LogDirChosen {
		if err := fsutil.NotALink(opts.LogDir, "--log-dir", "each recipe's build log is written there"); err != nil {
			return nil, err
		}
	}
	if opts.build == nil {
		opts.build = build.Build
	}
	if opts.inputs == nil {
		opts.inputs = build.ResolveInputs
	}
	arch, err := pipeline.ParseArch(opts.Build.Arch)
	if err != nil {
		return nil, err
	}
	s := &scheduler{g: g, opts: opts, arch: arch.APK, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.prepare(); err != nil {
		return nil, err
	}
	s.run(ctx)
	return s.report(), nil
}

// scheduler holds the state of one run.
type scheduler struct {
	g       *graph.Graph
	opts    Options
	arch    string
	archDir string
	log     *slog.Logger
	exclude []string // paths left out of source dir digests
	keyring []string // keyring entries for the out-dir repository
	results map[string]*Result
	order   []string // the graph's order, selected recipes only
	clock   int      // orders starts and ends
}

func (s *scheduler) prepare() error {
	out := s.opts.Build.OutDir
	if out == "" {
		out = "packages"
	}
	s.archDir = filepath.Join(out, s.arch)
	s.exclude = []string{out, s.opts.LogDir}
	for _, d := range []string{s.opts.Build.WorkspaceDir, s.opts.Build.CacheDir, s.opts.Build.ApkCacheDir} {
		if d != "" {
			s.exclude = append(s.exclude, d)
		}
	}
	if len(s.g.Edges) > 0 && !s.opts.Build.AllowUntrusted {
		if s.opts.Build.SigningKey == "" {
			return errors.New("recipes of the set need each other, so dependants install packages from the out-dir: pass --signing-key (or --allow-untrusted to use it unsigned)")
		}
		pub := s.opts.Build.SigningKey + ".pub"
		if _, err := os.Stat(pub); err != nil {
			return fmt.Errorf("dependants trust the out-dir through %s, which is missing: write it with pestle keygen, or pass its public key with -k", pub)
		}
		s.keyring = []string{pub}
	}
	s.results = map[string]*Result{}
	want, err := s.selected()
	if err != nil {
		return err
	}
	for _, n := range s.g.Nodes {
		if want != nil && !want[n.Name] {
			continue
		}

		r := &Result{Name: n.Name, Recipe: n.Recipe, Deps: n.Deps, Outputs: n.Packages}
		s.results[n.Name] = r
		switch {
		case n.NotTargeted != "":
			r.Outcome, r.Why = NotTargeted, n.NotTargeted
		case n.InCycle:
			r.Outcome, r.Why = Failed, s.cycleOf(n.Name).Error()
		}
	}
	for _, name := range s.g.Order {
		if s.results[name] != nil {
			s.order = append(s.order, name)
		}
	}
	return nil
}

// selected is the set of recipes Only names and those they need, or nil
// for every recipe.
func (s *scheduler) selected() (map[string]bool, error) {
	if len(s.opts.Only) == 0 {
		return nil, nil
	}
	want := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		if want[name] {
			return
		}
		want[name] = true
		for _, d := range s.g.Node(name).Deps {
			add(d)
		}
	}
	for _, name := range s.opts.Only {
		if s.g.Node(name) == nil {
			return nil, fmt.Errorf("--only %s: no recipe of the set builds package %s", name, name)
		}
		add(name)
	}
	return want, nil
}

func (s *scheduler) cycleOf(name string) graph.Cycle {
	for _, c := range s.g.Cycles {
		if slices.Contains(c.Recipes, name) {
			return c
		}
	}
	return graph.Cycle{}
}

// run starts every recipe whose dependencies are done, up to Jobs at once,
// until none is left.
func (s *scheduler) run(ctx context.Context) {
	type done struct {
		name string
		res  *Result
	}
	finished := make(chan done)
	running := 0
	stopped := false
	for {
		s.skipBlocked()
		for !stopped && running < s.opts.Jobs && ctx.Err() == nil {
			name := s.nextReady()
			if name == "" {
				break
			}
			r := s.results[name]
			r.Outcome = inProgress
			s.clock++
			r.Started = s.clock
			running++
			deps, first := s.depKeys(name)
			work := *r // the build writes its own copy; the loop reads r
			go func() {
				s.one(ctx, &work, deps, first)
				finished <- done{name, &work}
			}()
		}
		if running == 0 {
			break
		}
		d := <-finished
		running--
		r := s.results[d.name]
		*r = *d.res
		s.clock++
		r.Finished = s.clock
		s.logResult(r)
		if r.Outcome == Failed && !s.opts.KeepGoing && !s.opts.DryRun {
			stopped = true
		}
	}
	for _, name := range s.order {
		if r := s.results[name]; r.Outcome == "" {
			r.Outcome = NotStarted
			r.Why = "the run stopped after a failure (--keep-going builds the rest)"
			if ctx.Err() != nil {
				r.Why = "interrupted"
			}
		}
	}
}

// nextReady is the first recipe in build order not yet started whose
// dependencies are all built or up to date.
func (s *scheduler) nextReady() string {
	for _, name := range s.order {
		r := s.results[name]
		if r.Outcome != "" {
			continue
		}
		ready := true
		for _, d := range r.Deps {
			if !s.results[d].Outcome.ok() {
				ready = false
				break
			}
		}
		if ready {
			return name
		}
	}
	return ""
}

// skipBlocked marks as skipped every recipe not started that needs a
// recipe that failed or was skipped.
func (s *scheduler) skipBlocked() {
	for changed := true; changed; {
		changed = false
		for _, name := range s.order {
			r := s.results[name]
			if r.Outcome != "" {
				continue
			}
			for _, d := range r.Deps {
				if o := s.results[d].Outcome; o == Failed || o == Skipped {
					r.Outcome = Skipped
					r.Why = "needs " + d + ", which " + map[Outcome]string{Failed: "failed", Skipped: "was skipped"}[o]
					r.BlockedBy = s.results[d].BlockedBy
					if o == Failed {
						r.BlockedBy = d
					}
					changed = true
					break
				}
			}
		}
	}
}

// depKeys returns the keys of the recipes name needs, and the first of
// them that a dry run will build ("" when none).
func (s *scheduler) depKeys(name string) (map[string]string, string) {
	deps := map[string]string{}
	first := ""
	for _, d := range s.results[name].Deps {
		deps[d] = s.results[d].Key
		if s.results[d].Outcome == WillBuild && first == "" {
			first = d
		}
	}
	return deps, first
}

func (s *scheduler) logResult(r *Result) {
	args := []any{"recipe", r.Name, "result", string(r.Outcome)}
	if r.Why != "" {
		args = append(args, "why", r.Why)
	}
	if r.Duration > 0 {
		args = append(args, "took", r.Duration.Round(time.Millisecond))
	}
	if r.Outcome == Failed {
		s.log.Error("recipe done", args...)
		return
	}
	s.log.Info("recipe done", args...)
}
