package build

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/netrec"
	"github.com/pestle-dev/pestle/pipeline/source"
	"github.com/pestle-dev/pestle/sandbox"
)

// StepError is a step that failed: which step of which package, at which
// recipe line, and why (a *sandbox.ExitError for a non-zero exit).
type StepError struct {
	Package string
	Step    string
	File    string
	Line    int
	// Index is the step's place among its package's steps.
	Index int
	// Resume names the recipe when the workspace was kept for --resume.
	Resume string
	Err    error
	// Network is the build's network mode, Refused what the network
	// proxy refused while the step ran: they explain a failed download.
	Network netrec.Mode
	Refused []netrec.Refusal
}

func (e *StepError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	msg := fmt.Sprintf("%s: step %q of package %s failed", where, e.Step, e.Package)
	var ex *sandbox.ExitError
	if errors.As(e.Err, &ex) {
		msg += fmt.Sprintf(" with exit code %d", ex.Code)
		if ex.Code == 127 {
			msg += "; a command was not found: add the package that provides it to environment.contents.packages"
		}
		msg += networkHint(e.Network, e.Refused, ex.NetworkHint)
		return msg + " (rerun with --debug to trace each command, or --interactive for a shell at that point)" + e.resumeHint()
	}
	return msg + ": " + e.Err.Error() + networkHint(e.Network, e.Refused, false) + e.resumeHint()
}

func (e *StepError) Unwrap() error { return e.Err }

func (e *StepError) resumeHint() string {
	if e.Resume == "" {
		return ""
	}
	return "; the workspace is kept: pestle build --resume " + e.Resume + " continues from this step"
}

// stepName is how a step is called in logs and errors.
func stepName(s pipeline.Step) string {
	switch {
	case s.Name != "" && s.Uses != "" && s.Name != s.Uses:
		return s.Name + " (" + s.Uses + ")"
	case s.Name != "":
		return s.Name
	case s.Uses != "":
		return s.Uses
	case s.Host != "":
		return s.Host
	}
	line, _, _ := strings.Cut(strings.TrimSpace(s.Script), "\n")
	if len(line) > 40 {
		line = line[:40] + "…"
	}
	return line
}

// runner runs one package's steps.
type stepRunner struct {
	plan      *pipeline.Plan
	sb        sandbox.Runner
	workspace string
	lower     string // the source dir under the workspace overlay; "" without one
	srcOpts   source.Options
	opts      *EnvOptions
	net       *network // nil: no proxy
	sources   []Source
}

// Source is a fetched artifact or checkout, for logs and the SBOM.
type Source struct {
	Package    string // the (sub)package whose pipeline has the step
	Kind       string // "fetch" or "git-checkout"
	URI        string
	SHA256     string
	SHA512     string
	Commit     string
	PurlName   string
	PurlVer    string
	FromCache  bool
	Repository string
	Tag        string
	Branch     string
}

// run runs the steps of pkg from the one numbered from.
func (r *stepRunner) run(ctx context.Context, pkg pipeline.PackagePlan, from int) error {
	log := r.opts.logger()
	for i, s := range pkg.Steps {
		if i < from {
			continue
		}
		start := time.Now()
		name := stepName(s)
		var err error
		refused := r.net.refused()
		if s.Host != "" {
			err = r.host(ctx, pkg.Name, s)
		} else {
			err = r.sandbox(ctx, pkg.Name, name, s)
		}
		if err != nil {
			return &StepError{Package: pkg.Name, Step: name, File: r.plan.File, Line: s.Line, Index: i,
				Err: diagnose(ctx, r.opts, r.plan.Arch, err), Network: r.net.modeOf(), Refused: r.net.refusedSince(refused)}
		}
		phase(log, start, "step done", "package", pkg.Name, "step", name)
	}
	return nil
}

func (r *stepRunner) host(ctx context.Context, pkg string, s pipeline.Step) error {
	view := wsView{upper: r.workspace, lower: r.lower}
	rel, err := guestRel("", s.WorkingDirectory)
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	dir, err := view.dir(rel)
	if err != nil {
		return fmt.Errorf("working directory %s: %w", s.WorkingDirectory, err)
	}
	opts := r.srcOpts
	opts.Local = func(p string) (string, error) {
		rel, err := guestRel(s.WorkingDirectory, p)
		if err != nil {
			return "", err
		}
		host, _, err := view.find(rel)
		return host, err
	}
	switch s.Host {
	case "fetch":
		in, err := source.FetchFromWith(s.With)
		if err != nil {
			return err
		}
		res, err := source.Fetch(ctx, in, dir, opts)
		if err != nil {
			return err
		}
		r.sources = append(r.sources, Source{Package: pkg, Kind: "fetch", URI: res.URI, SHA256: res.SHA256, SHA512: res.SHA512,
			PurlName: res.PurlName, PurlVer: res.PurlVersion, FromCache: res.FromCache})
	case "git-checkout":
		in, err := source.GitFromWith(s.With)
		if err != nil {
			return err
		}
		res, err := source.GitCheckout(ctx, in, dir, opts)
		if err != nil {
			return err
		}
		r.sources = append(r.sources, Source{Package: pkg, Kind: "git-checkout", URI: res.Repository,
			Repository: res.Repository, Commit: res.Commit, Tag: res.Tag, Branch: res.Branch})
	default:
		return fmt.Errorf("unknown host step %q", s.Host)
	}
	return nil
}

func (r *stepRunner) sandbox(ctx context.Context, pkg, name string, s pipeline.Step) error {
	prefix := fmt.Sprintf("[%s] ", pkg)
	stdout := lineWriter(r.opts.Stdout, prefix)
	stderr := lineWriter(r.opts.Stderr, prefix)
	return r.sb.Run(ctx, sandbox.Command{
		Script:      s.Script,
		WorkDir:     s.WorkingDirectory,
		Env:         s.Env,
		Stdout:      stdout,
		Stderr:      stderr,
		Stdin:       r.opts.Stdin,
		Interactive: r.opts.Interactive,
	})
}

func lineWriter(w io.Writer, prefix string) io.Writer {
	if w == nil {
		return nil
	}
	return sandbox.PrefixWriter(w, prefix)
}
