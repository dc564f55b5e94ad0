package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/apk/resolve"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/netrec"
)

// TestReport is the outcome of Test: one entry per package with a test.
type TestReport struct {
	// Skipped is set, with the reason, when the recipe does not target
	// the architecture.
	Skipped string
	Arch    string
	Results []PackageTest
}

// PackageTest is the outcome of one package's test pipeline.
type PackageTest struct {
	Package  string
	Err      error // nil: passed
	Duration time.Duration
}

// Failed counts the packages whose test failed.
func (r *TestReport) Failed() int {
	n := 0
	for _, p := range r.Results {
		if p.Err != nil {
			n++
		}
	}
	return n
}

// ErrNoTests means the recipe (or the named package) has no test: section.
var ErrNoTests = errors.New("no test")

// Test runs the test: pipelines of the recipe in opts.Recipe: for the main
// package and each subpackage with one (or only opts.Package), a fresh
// guest holding the package under test, installed from the repositories
// (opts.Repositories, usually ./packages), plus its test.environment, then
// the test steps in the sandbox. A failing test is reported in its
// PackageTest; the error is for problems that stop every test (a bad
// recipe, a broken sandbox).
func Test(ctx context.Context, opts TestOptions) (*TestReport, error) {
	log := opts.logger()
	sde, err := opts.sourceDateEpoch("")
	if err != nil {
		return nil, err
	}
	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	opts.warnResources(log)
	opts.checkInteractive(log)
	plan, err := compile(&opts.EnvOptions)
	if errors.Is(err, pipeline.ErrArchNotTargeted) {
		return &TestReport{Skipped: err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	tests, err := selectTests(plan, opts.Recipe, opts.Package)
	if err != nil {
		return nil, err
	}
	if err := preflight(ctx, &opts.EnvOptions, plan.Arch); err != nil {
		return nil, err
	}
	report := &TestReport{Arch: plan.Arch}
	for _, tp := range tests {
		start := time.Now()
		log.Info("testing", "package", tp.Package, "steps", len(tp.Steps))
		err := testOne(ctx, &opts.EnvOptions, plan, tp, sde)
		report.Results = append(report.Results, PackageTest{Package: tp.Package, Err: err, Duration: time.Since(start)})
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
	}
	return report, nil
}

// selectTests returns the test plans of plan to run: every one, or only
// the one of package only.
func selectTests(plan *pipeline.Plan, recipe, only string) ([]pipeline.TestPlan, error) {
	var tests []pipeline.TestPlan
	for _, tp := range plan.Tests {
		if only == "" || tp.Package == only {
			tests = append(tests, tp)
		}
	}
	if len(tests) > 0 {
		return tests, nil
	}
	if only != "" {
		return nil, fmt.Errorf("%w for package %s in %s: add a test: section to it", ErrNoTests, only, recipe)
	}
	return nil, fmt.Errorf("%w in %s: add a test: section to the package or a subpackage", ErrNoTests, recipe)
}

// testOne runs the test of one package: the environment (the package
// under test and its test environment), the workspace (a copy of
// SourceDir, if any) and the steps.
func testOne(ctx context.Context, opts *EnvOptions, plan *pipeline.Plan, tp pipeline.TestPlan, sde int64) error {
	env := environment{
		Arch:           plan.Arch,
		Repositories:   joined(tp.Environment.Repositories, opts.Repositories),
		Keyring:        joined(tp.Environment.Keyring, opts.Keyring),
		Packages:       joined(tp.Environment.Packages, opts.Packages),
		Accounts:       tp.Environment.Accounts,
		AllowUntrusted: opts.AllowUntrusted,
	}
	ses, err := openSession(ctx, opts, env, "test-"+tp.Package)
	var re *resolve.Error
	if errors.As(err, &re) && re.Kind == resolve.KindNotFound && re.Name == tp.Package {
		return fmt.Errorf("%w: build it first (pestle build %s), or add the repository that holds it with -r", err, pipeline.QuoteArg(opts.Recipe))
	}
	if err != nil {
		return err
	}
	defer ses.close()
	lockDir, local := testLockDir(env.Repositories, plan, tp.Package)
	testLock := filepath.Join(lockDir, netrec.TestLockName(tp.Package+"-"+plan.Package.FullVersion+".apk"))
	nw, err := openNetwork(opts, plan, testLock, lockPath(lockDir, plan))
	if err != nil {
		return err
	}
	defer nw.close()
	ses.net = nw
	if opts.SourceDir != "" {
		f, err := newSourceFilter(opts.SourceDir, newSecrets("", ses.log), ses.workspace, ses.scratch)
		if err != nil {
			return err
		}
		if _, _, err := ses.populateWorkspace(f); err != nil {
			return fmt.Errorf("making the workspace from the source dir: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(ses.workspace, "melange-out", tp.Package), 0o755); err != nil {
		return err
	}
	if err := ses.start(ctx, opts, plan, tp.Environment.Env, sde); err != nil {
		return err
	}
	sr := &stepRunner{plan: plan, sb: ses.runner, workspace: ses.workspace, lower: ses.lowerDir(), opts: opts, net: nw}
	err = sr.run(ctx, pipeline.PackagePlan{Name: tp.Package, Steps: tp.Steps}, 0)
	if t, ok := nw.traffic(); ok {
		ses.log.Info("network traffic", append([]any{"package", tp.Package}, t.LogAttrs()...)...)
	}
	if err != nil {
		return err
	}
	if !local {
		if nw.recorded() > 0 {
			ses.log.Info("network lock not written: no local repository holds the package under test", "package", tp.Package)
		}
		return nil
	}
	return nw.writeLock(testLock)
}

// testLockDir is where the network locks of the test of package pkg
// are: beside the package, in the first local repository (of repos) that
// holds it, with local set; else ./packages/<arch>, which only replay
// reads.
func testLockDir(repos []string, plan *pipeline.Plan, pkg string) (dir string, local bool) {
	name := pkg + "-" + plan.Package.FullVersion + ".apk"
	for _, r := range repos {
		d, ok := repo.LocalDir(r)
		if !ok {
			continue
		}
		d = filepath.Join(d, plan.Arch)
		if fi, err := os.Stat(filepath.Join(d, name)); err == nil && fi.Mode().IsRegular() {
			return d, true
		}
	}
	return filepath.Join("packages", plan.Arch), false
}
