package build

import (
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
)

// Result is what a build wrote.
type Result struct {
	// Skipped is set, with the reason, when the recipe does not target
	// the architecture; nothing was built.
	Skipped string
	Arch    string
	// Packages are the written packages, main package first.
	Packages []Written
	// Index is the updated APKINDEX.tar.gz ("" with NoIndex).
	Index string
	// Sources are the fetched artifacts and checkouts.
	Sources []Source
	// Workspace is kept (and named here) with Keep.
	Workspace string
	// CachedRoot tells whether the guest root came from the cache.
	CachedRoot bool
	// Network is the proxy's summary line, "" when the build had no
	// proxy or made no request through it.
	Network string
	// Unsigned is set when the packages and the index were not signed (no
	// signing key).
	Unsigned bool
	Duration time.Duration
}

// Written is one package file.
type Written struct {
	Info *apk.PackageInfo
	Path string

	staged *fsutil.File // the package under its temporary name until published
}

// Build runs the build described by opts, phase by phase: compile the
// recipe, make the environment (guest root), fill the workspace, run the
// steps, emit the packages, update the index. A failing step returns a
// *StepError; nothing is written to the output directory unless every
// step of every package succeeded, and each file is replaced atomically.
func Build(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	log := opts.logger()
	sde, err := opts.Epoch()
	if err != nil {
		return nil, err
	}
	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	opts.warnResources(log)
	opts.checkInteractive(log)
	opts.Origin = opts.Origin.resolve(opts.Recipe)
	plan, err := compile(&opts.EnvOptions)
	if errors.Is(err, pipeline.ErrArchNotTargeted) {
		return &Result{Skipped: err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	logCompiled(log, start, plan)
	if err := opts.checkDefaultDirs(plan.Arch); err != nil {
		return nil, err
	}
	signer, err := loadSigner(opts.SigningKey, log)
	if err != nil {
		return nil, err
	}
	ctx, cancelPkg, err := withPackageTimeout(ctx, opts.Recipe, plan)
	if err != nil {
		return nil, err
	}
	defer cancelPkg()
	// The network is made while the environment is: their errors are
	// reported in that order.
	lock := lockPath(filepath.Join(opts.outDir(), plan.Arch), plan)
	opened := overlap(func() (*network, error) { return openNetwork(&opts.EnvOptions, plan, lock) })
	ses, resumed, err := openEnvironment(ctx, &opts, plan)
	nw, nerr := opened()
	if err == nil {
		defer ses.close()
	}
	defer nw.close()
	if err = cmp.Or(err, nerr); err != nil {
		return nil, err
	}
	ses.net = nw
	res := &Result{Arch: plan.Arch, CachedRoot: ses.hit, Unsigned: signer == nil}
	if opts.Keep {
		res.Workspace = ses.workspace
		log.Info("keeping the workspace and guest root", "workspace", ses.workspace, "guest", ses.guest)
	}
	if err := fillWorkspace(&opts, ses, plan, resumed != nil); err != nil {
		return nil, err
	}
	if res.Sources, err = runSteps(ctx, &opts, ses, plan, resumed, sde); err != nil {
		return nil, err
	}
	outDir := filepath.Join(opts.outDir(), plan.Arch)
	em, err := newEmitter(&opts, plan, ses, signer, outDir, sde, res.Sources)
	if err != nil {
		return nil, err
	}
	if res.Packages, err = em.emit(ctx, ses.workspace); err != nil {
		return nil, err
	}
	// The packages are staged in the output dir: the sandbox and the
	// scratch dir go while the index is made (ses.close waits for this).
	go ses.close()
	if err := nw.writeLock(lock); err != nil {
		return nil, err
	}
	if res.Index, err = publish(outDir, res.Packages, signer, sde, log, opts.NoIndex); err != nil {
		return nil, err
	}
	if err := writeRecords(&opts, plan, em, ses, res, start); err != nil {
		return nil, err
	}
	res.Duration = time.Since(start)
	if t, ok := nw.traffic(); ok {
		log.Info("network traffic", t.LogAttrs()...)
		if t.Used() {
			res.Network = t.String()
		}
	}
	return res, nil
}

// writeRecords writes the side files opts.Records asks for, once the
// packages are published: the build log, the dependency log and the
// provenance statements.
func writeRecords(opts *Options, plan *pipeline.Plan, em *emitter, ses *session, res *Result, start time.Time) error {
	if err := opts.Records.appendBuildLog(plan.Arch, plan.Package.Name, res.Packages); err != nil {
		return err
	}
	if err := em.depLog.write(opts.Records.DependencyLog, plan.Arch); err != nil {
		return err
	}
	if !opts.Records.Provenance {
		return nil
	}
	in := provenanceInput{recipe: opts.Recipe, recipeSHA256: sha256Hex(em.recipe), arch: plan.Arch,
		buildOptions: opts.BuildOptions, origin: opts.Origin, sde: em.sde, sources: res.Sources,
		envPkgs: ses.packages, started: start, stopped: time.Now()}
	return writeProvenances(res.Packages, in, ses.log)
}
