package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
)

// options are the build options of recipe r.
func (s *scheduler) options(r *Result) build.Options {
	o := s.opts.Build
	o.Recipe = r.Recipe
	o.Arch = s.arch
	o.Interactive = false
	o.Progress = nil // builds run at once: no shared progress line
	if len(r.Deps) > 0 {
		out := o.OutDir
		if out == "" {
			out = "packages"
		}
		if !slices.Contains(o.Repositories, out) {
			o.Repositories = append(slices.Clone(o.Repositories), out)
		}
		o.Keyring = append(slices.Clone(o.Keyring), s.keyring...)
	}
	if o.WorkspaceDir != "" {
		o.WorkspaceDir = filepath.Join(o.WorkspaceDir, r.Name)
	}
	return o
}

// one decides whether recipe r is up to date and builds it if not. It
// writes only to r. depBuilds names a dependency a dry run will build.
func (s *scheduler) one(ctx context.Context, r *Result, deps map[string]string, depBuilds string) {
	start := time.Now()
	defer func() { r.Duration = time.Since(start) }()
	o := s.options(r)
	if depBuilds != "" {
		// A dry run: the environment will hold the new packages.
		r.Outcome, r.Why = WillBuild, "dependency "+depBuilds+" will be built first"
		return
	}
	in, err := s.opts.inputs(ctx, o)
	if errors.Is(err, pipeline.ErrArchNotTargeted) {
		r.Outcome, r.Why = NotTargeted, err.Error()
		return
	}
	if err != nil {
		s.fail(r, err)
		return
	}
	ki, err := keyInputs(&o, in, deps, s.opts.Version, s.exclude)
	if err != nil {
		s.fail(r, err)
		return
	}
	r.Key, r.Inputs = ki.Key(), ki
	why, err := s.stale(r, ki)
	if err != nil {
		s.fail(r, err)
		return
	}
	if why == "" {
		r.Outcome = UpToDate
		return
	}
	r.Why = why
	if len(s.opts.Only) > 0 && !slices.Contains(s.opts.Only, r.Name) {
		r.Outcome = Skipped
		r.Why = "not up to date (" + why + ") and not named by --only: build it first"
		return
	}
	if s.opts.DryRun {
		r.Outcome = WillBuild
		return
	}
	s.build(ctx, r, o)
}

// stale says why r is not up to date ("" when it is).
func (s *scheduler) stale(r *Result, ki *KeyInputs) (string, error) {
	rec, err := readRecord(s.archDir, r.Name)
	if err != nil {
		return "", err
	}
	switch {
	case s.opts.Force:
		return "--force", nil
	case rec == nil:
		return "no earlier build recorded", nil
	case rec.Key != r.Key:
		if rec.Inputs == nil {
			return "the key changed", nil
		}
		return strings.Join(changes(rec.Inputs, ki), "; "), nil
	}
	kr, err := keyringOf(s.opts.Build.SigningKey)
	if err != nil {
		return "", err
	}
	return verifyPackages(s.archDir, rec, kr), nil
}

// build runs the build of r with its own log file, then records its key.
func (s *scheduler) build(ctx context.Context, r *Result, o build.Options) {
	if err := os.MkdirAll(s.opts.LogDir, 0o755); err != nil {
		s.fail(r, err)
		return
	}
	r.Log = filepath.Join(s.opts.LogDir, r.Name+".log")
	f, err := os.Create(r.Log)
	if err != nil {
		s.fail(r, err)
		return
	}
	defer f.Close()
	w := &syncWriter{w: f}
	o.Stdout, o.Stderr, o.Stdin = w, w, nil
	o.Progress = nil
	o.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Logger.Info("building", "recipe", r.Recipe, "key", r.Key, "why", r.Why)
	res, err := s.opts.build(ctx, o)
	if err != nil {
		fmt.Fprintf(w, "pestle: %v\n", err)
		s.fail(r, err)
		return
	}
	if res.Skipped != "" {
		r.Outcome, r.Why = NotTargeted, res.Skipped
		return
	}
	rec := &Record{Name: r.Name, Recipe: r.Recipe, Key: r.Key, Inputs: r.Inputs}
	for _, p := range res.Packages {
		sum, err := fsutil.SHA256File(p.Path)
		if err != nil {
			s.fail(r, err)
			return
		}
		rec.Packages = append(rec.Packages, RecordPackage{File: filepath.Base(p.Path), SHA256: sum})
	}
	if err := writeRecord(s.archDir, rec); err != nil {
		s.fail(r, fmt.Errorf("recording the key: %w", err))
		return
	}
	r.Outcome = Built
	r.Outputs = nil
	for _, p := range rec.Packages {
		r.Outputs = append(r.Outputs, p.File)
	}
}

// fail marks r failed by err, with the failing step and line when a step
// failed.
func (s *scheduler) fail(r *Result, err error) {
	r.Outcome, r.Err = Failed, err
	r.Why = err.Error()
	var se *build.StepError
	if errors.As(err, &se) {
		r.Step, r.Line = se.Step, se.Line
	}
}
