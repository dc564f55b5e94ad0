package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/sca"
	"github.com/pestle-dev/pestle/pipeline/source"
)

// The phases of Build, in order. Each takes what it needs and returns
// what the next one uses; Test runs compile, then the environment,
// workspace and steps phases of each package's test.

// compile loads and compiles the recipe of opts, and adds the variables of
// the env file to the build and test environments.
func compile(opts *EnvOptions) (*pipeline.Plan, error) {
	fileEnv, err := readEnvFiles(append([]string{opts.EnvFile}, opts.EnvFiles...))
	if err != nil {
		return nil, err
	}
	rec, err := pipeline.Load(opts.Recipe, pipeline.LoadOptions{})
	if err != nil {
		return nil, err
	}
	plan, err := pipeline.Compile(rec, pipeline.CompileOptions{
		Arch: opts.Arch, PipelineDirs: opts.PipelineDirs, VarsFile: opts.VarsFile, BuildOptions: opts.BuildOptions,
		LibcFlavor: opts.LibcFlavor,
	})
	if err != nil {
		return nil, err
	}
	plan.Environment.Env = withEnvFile(plan.Environment.Env, fileEnv)
	for i := range plan.Tests {
		plan.Tests[i].Environment.Env = withEnvFile(plan.Tests[i].Environment.Env, fileEnv)
	}
	return plan, nil
}

// logCompiled reports the compile phase of a build, begun at t: the
// recipe's warnings, then what it compiled to.
func logCompiled(log *slog.Logger, t time.Time, plan *pipeline.Plan) {
	for _, w := range plan.Warnings {
		log.Warn(w)
	}
	phase(log, t, "compiled recipe", "package", plan.Package.Name+"-"+plan.Package.FullVersion, "arch", plan.Arch, "packages", len(plan.Packages))
}

// loadSigner reads the private key at path (nil, unsigned, for "").
func loadSigner(path string, log *slog.Logger) (*keys.Signer, error) {
	if path == "" {
		return nil, nil
	}
	s, warning, err := keys.LoadSigner(path)
	if warning != "" {
		log.Warn(warning)
	}
	return s, err
}

// withPackageTimeout bounds ctx by the recipe's package.timeout, if any.
func withPackageTimeout(ctx context.Context, recipe string, plan *pipeline.Plan) (context.Context, context.CancelFunc, error) {
	if plan.Package.Timeout == "" {
		return ctx, func() {}, nil
	}
	d, err := time.ParseDuration(plan.Package.Timeout)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: package.timeout %q is not a duration (e.g. 30m)", recipe, plan.Package.Timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, nil
}

// openEnvironment checks the sandbox can run, then resolves the build
// environment and opens the session over its guest root: the kept one
// of a failed build with --resume (returned as the state to resume from),
// else a fresh one.
func openEnvironment(ctx context.Context, opts *Options, plan *pipeline.Plan) (*session, *resumeState, error) {
	if err := preflight(ctx, &opts.EnvOptions, plan.Arch); err != nil {
		return nil, nil, err
	}
	return openOrResume(ctx, opts, plan)
}

// fillWorkspace copies the source dir into a fresh workspace (unless the
// build resumes in a kept one, or asked for an empty one) and makes the
// melange-out/<package> dirs.
func fillWorkspace(opts *Options, ses *session, plan *pipeline.Plan, resumed bool) error {
	if !opts.EmptyWorkspace && !resumed {
		t := time.Now()
		src := opts.SourceDir
		if src == "" {
			src = filepath.Dir(opts.Recipe)
		}
		apkCache, _ := opts.apkCacheDir()
		f, err := newSourceFilter(src, newSecrets(opts.SigningKey, ses.log), opts.outDir(), opts.WorkspaceDir, opts.cacheDir(), apkCache, ses.scratch, ses.workspace)
		if err != nil {
			return err
		}
		how, n, err := ses.populateWorkspace(f)
		if err != nil {
			return fmt.Errorf("making the workspace from the source dir: %w", err)
		}
		attrs := []any{"source", src, "how", how}
		if n >= 0 { // an overlay copies nothing, so it has no count
			attrs = append(attrs, "files", n)
		}
		phase(ses.log, t, "workspace ready", attrs...)
	}
	for _, p := range plan.Packages {
		if err := os.MkdirAll(filepath.Join(ses.workspace, "melange-out", p.Name), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// runSteps starts the sandbox and runs every package's steps (from the
// failed one when resuming). A failed step keeps the session for --resume.
// It returns the sources the host-side steps fetched.
func runSteps(ctx context.Context, opts *Options, ses *session, plan *pipeline.Plan, resumed *resumeState, sde int64) ([]Source, error) {
	go apk.WarmUp() // on the core the sandbox leaves idle
	go index.WarmUp()
	t := time.Now()
	if err := ses.start(ctx, &opts.EnvOptions, plan, plan.Environment.Env, sde); err != nil {
		return nil, err
	}
	phase(ses.log, t, "sandbox ready")
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	sr := &stepRunner{plan: plan, sb: ses.runner, workspace: ses.workspace, lower: ses.lowerDir(), opts: &opts.EnvOptions, net: ses.net,
		srcOpts: source.Options{CacheDir: filepath.Join(apkCache, "sources"), Logger: ses.log, SourceDateEpoch: time.Unix(sde, 0),
			Progress: opts.Progress}}
	if resumed != nil {
		sr.sources = resumed.Sources
	}
	for i, p := range plan.Packages {
		from := resumed.from(i)
		if from < 0 {
			continue
		}
		t := time.Now()
		ses.log.Info("building", "package", p.Name, "steps", len(p.Steps), "from", from+1)
		if err := sr.run(ctx, p, from); err != nil {
			keepForResume(opts, plan, ses, i, err, sr.sources)
			if errors.Is(ctx.Err(), context.DeadlineExceeded) && plan.Package.Timeout != "" {
				return nil, fmt.Errorf("%w (package.timeout is %s)", err, plan.Package.Timeout)
			}
			return nil, opts.timeoutError(ctx, err)
		}
		phase(ses.log, t, "built", "package", p.Name)
	}
	dropResume(opts, plan.Arch, nil)
	return append(sr.sources, ses.net.downloads(plan.Package.Name)...), nil
}

// newEmitter gathers what emitting the packages of plan needs.
func newEmitter(opts *Options, plan *pipeline.Plan, ses *session, sig *keys.Signer, outDir string, sde int64, sources []Source) (*emitter, error) {
	recipe, err := os.ReadFile(opts.Recipe)
	if err != nil {
		return nil, err
	}
	em := &emitter{plan: plan, outDir: outDir, signer: sig, sde: sde,
		recipe: recipe, readGuest: ses.readGuestFile, maint: opts.Namespace, tempDir: ses.scratch,
		envPkgs: ses.packages, log: ses.log, sources: sources,
		lintRequire: opts.LintRequire, lintWarn: opts.LintWarn,
		origin: opts.Origin, stripOrigin: opts.StripOriginName}
	if opts.Records.LintResults {
		em.lintResults = opts.outDir()
	}
	if opts.Records.DependencyLog != "" {
		em.depLog = depLog{}
	}
	return em, nil
}

// emit turns the output trees in workspace into packages in e.outDir.
// Every tree is scanned, linted and given its SBOM before anything is
// written, so a lint failure leaves the output directory untouched.
func (e *emitter) emit(ctx context.Context, workspace string) ([]Written, error) {
	t := time.Now()
	trees := make([]string, len(e.plan.Packages))
	for i, p := range e.plan.Packages {
		if err := checkOutputTree(workspace, p.Name); err != nil {
			return nil, err
		}
		trees[i] = filepath.Join(workspace, "melange-out", p.Name)
	}
	var err error
	if e.family, err = sca.NewFamily(trees); err != nil {
		return nil, fmt.Errorf("scanning the output trees: %w", err)
	}
	infos := make([]*apk.PackageInfo, len(trees))
	for i, p := range e.plan.Packages {
		if infos[i], err = e.prepare(ctx, p, trees[i], nil); err != nil { // the siblings are e.family
			return nil, err
		}
	}
	phase(e.log, t, "scanned, linted and described packages", "packages", len(infos))
	written := make([]Written, 0, len(trees))
	for i, p := range e.plan.Packages {
		f, took, err := e.pack(p, infos[i], trees[i])
		if err != nil {
			for _, w := range written {
				w.staged.Abort()
			}
			return nil, err
		}
		e.log.Info("wrote package", "path", f.Path(), "bytes", infos[i].FileSize, "installed", infos[i].Size, "took", took.Round(time.Millisecond))
		written = append(written, Written{Info: infos[i], Path: f.Path(), staged: f})
	}
	return written, nil
}

// publish puts the written packages, staged under temporary names, in
// place together with outDir's APKINDEX.tar.gz (see index.Publish: a crash
// never leaves the index disagreeing with a package once the next build
// has looked) and returns the index's path; with noIndex it only puts the
// packages in place.
func publish(outDir string, written []Written, sig *keys.Signer, sde int64, log *slog.Logger, noIndex bool) (string, error) {
	t := time.Now()
	staged := make([]index.Staged, len(written))
	for i, w := range written {
		staged[i] = index.Staged{File: w.staged, Info: w.Info}
		defer w.staged.Abort() // nothing after a Commit
	}
	if noIndex {
		for _, s := range staged {
			if err := s.File.Commit(0o644); err != nil {
				return "", fmt.Errorf("writing %s: %w", s.File.Path(), err)
			}
		}
		return "", nil
	}
	err := index.Publish(outDir, staged, index.UpdateOptions{
		Signer: sig, SourceDateEpoch: sde, Logger: log,
	})
	if err != nil {
		return "", fmt.Errorf("updating the index in %s: %w", outDir, err)
	}
	path := filepath.Join(outDir, index.FileName)
	phase(log, t, "published packages and index", "path", path)
	return path, nil
}
