package build

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
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
	Duration   time.Duration
}

// Written is one package file.
type Written struct {
	Info *apk.PackageInfo
	Path string
}

// compile loads and compiles the recipe of opts, and adds the variables of
// the env file to the build and test environments.
func compile(opts *Options) (*pipeline.Plan, error) {
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

// Build runs the build described by opts. A failing step returns a
// *StepError; nothing is written to the output directory unless every
// step of every package succeeded, and each file is replaced atomically.
func Build(ctx context.Context, opts Options) (*Result, error) {
	start := time.Now()
	log := opts.logger()
	sde, err := opts.sourceDateEpoch()
	if err != nil {
		return nil, err
	}

	ctx, cancel := opts.withTimeout(ctx)
	defer cancel()
	opts.warnResources(log)
	opts.Origin = opts.Origin.resolve(opts.Recipe)

	t := time.Now()
	plan, err := compile(&opts)
	if errors.Is(err, pipeline.ErrArchNotTargeted) {
		return &Result{Skipped: err.Error()}, nil
	}
	if err != nil {
		return nil, err
	}
	for _, w := range plan.Warnings {
		log.Warn(w)
	}
	phase(log, t, "compiled recipe", "package", plan.Package.Name+"-"+plan.Package.FullVersion, "arch", plan.Arch, "packages", len(plan.Packages))
	res := &Result{Arch: plan.Arch}

	var key *rsa.PrivateKey
	keyName := ""
	if opts.SigningKey != "" {
		if key, err = keys.LoadPrivate(opts.SigningKey); err != nil {
			return nil, err
		}
		var warning string
		if keyName, warning = keys.KeyName(opts.SigningKey); warning != "" {
			log.Warn(warning)
		}
	}
	recipeBytes, err := os.ReadFile(opts.Recipe)
	if err != nil {
		return nil, err
	}

	if plan.Package.Timeout != "" {
		d, err := time.ParseDuration(plan.Package.Timeout)
		if err != nil {
			return nil, fmt.Errorf("%s: package.timeout %q is not a duration (e.g. 30m)", opts.Recipe, plan.Package.Timeout)
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}

	if err := preflight(ctx, &opts, plan.Arch); err != nil {
		return nil, err
	}
	ses, resumed, err := openOrResume(ctx, &opts, plan)
	if err != nil {
		return nil, err
	}
	defer ses.close()
	res.CachedRoot = ses.hit
	workspace := ses.workspace
	if opts.Keep {
		res.Workspace = workspace
		log.Info("keeping the workspace and guest root", "workspace", workspace, "guest", ses.guest)
	}

	t = time.Now()
	outBase := opts.outDir()
	if !opts.EmptyWorkspace && resumed == nil {
		src := opts.SourceDir
		if src == "" {
			src = filepath.Dir(opts.Recipe)
		}
		apkCache, _ := opts.apkCacheDir()
		f, err := newSourceFilter(src, newSecrets(opts.SigningKey, log), outBase, opts.WorkspaceDir, opts.cacheDir(), apkCache, ses.scratch, ses.workspace)
		if err != nil {
			return nil, err
		}
		how, n, err := ses.populateWorkspace(f)
		if err != nil {
			return nil, fmt.Errorf("making the workspace from the source dir: %w", err)
		}
		phase(log, t, "workspace ready", "source", src, "how", how, "files", n)
	}
	for _, p := range plan.Packages {
		if err := os.MkdirAll(filepath.Join(workspace, "melange-out", p.Name), 0o755); err != nil {
			return nil, err
		}
	}
	if err := ses.start(ctx, &opts, plan, plan.Environment.Env, sde); err != nil {
		return nil, err
	}
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	srcCache := filepath.Join(apkCache, "sources")
	sr := &stepRunner{plan: plan, sb: ses.runner, workspace: workspace, opts: &opts,
		srcOpts: source.Options{CacheDir: srcCache, Logger: log, SourceDateEpoch: time.Unix(sde, 0)}}
	if resumed != nil {
		sr.sources = resumed.Sources
	}
	for i, p := range plan.Packages {
		from := resumed.from(i)
		if from < 0 {
			continue
		}
		t = time.Now()
		log.Info("building", "package", p.Name, "steps", len(p.Steps), "from", from+1)
		if err := sr.run(ctx, p, from); err != nil {
			keepForResume(&opts, plan, ses, i, err, sr.sources)
			if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && plan.Package.Timeout != "" {
				return nil, fmt.Errorf("%w (package.timeout is %s)", err, plan.Package.Timeout)
			}
			return nil, opts.timeoutError(ctx, err)
		}
		phase(log, t, "built", "package", p.Name)
	}
	res.Sources = sr.sources
	dropResume(&opts, plan.Arch, nil)

	// Emit.
	outDir := filepath.Join(outBase, plan.Arch)
	em := &emitter{plan: plan, outDir: outDir, key: key, keyName: keyName, sde: sde,
		recipe: recipeBytes, readGuest: ses.readGuestFile, maint: opts.Namespace, tempDir: ses.scratch,
		envPkgs: ses.packages, log: log, sources: sr.sources,
		lintRequire: opts.LintRequire, lintWarn: opts.LintWarn,
		origin: opts.Origin, stripOrigin: opts.StripOriginName}
	if opts.Records.LintResults {
		em.lintResults = outBase
	}
	var infos []*apk.PackageInfo
	trees := make([]string, len(plan.Packages))
	for i, p := range plan.Packages {
		trees[i] = filepath.Join(workspace, "melange-out", p.Name)
	}
	// Every tree is scanned, linted and given its SBOM before anything is
	// written, so a lint failure leaves the output directory untouched.
	t = time.Now()
	for _, p := range plan.Packages {
		if err := checkOutputTree(workspace, p.Name); err != nil {
			return nil, err
		}
	}
	if em.family, err = sca.NewFamily(trees); err != nil {
		return nil, fmt.Errorf("scanning the output trees: %w", err)
	}
	for i, p := range plan.Packages {
		info, err := em.prepare(ctx, p, trees[i], nil) // the siblings are em.family
		if err != nil {
			return nil, err
		}
		infos = append(infos, info)
	}
	phase(log, t, "scanned, linted and described packages", "packages", len(infos))
	for i, p := range plan.Packages {
		path, took, err := em.pack(p, infos[i], trees[i])
		if err != nil {
			return nil, err
		}
		info := infos[i]
		log.Info("wrote package", "path", path, "bytes", info.FileSize, "installed", info.Size, "took", took.Round(time.Millisecond))
		res.Packages = append(res.Packages, Written{Info: info, Path: path})
	}
	if err := opts.Records.appendBuildLog(plan.Arch, plan.Package.Name, res.Packages); err != nil {
		return nil, err
	}
	if !opts.NoIndex {
		t = time.Now()
		err := index.Update(outDir, infos, index.UpdateOptions{
			SigningKey: key, KeyName: keyName, SourceDateEpoch: sde, Logger: log,
		})
		if err != nil {
			return nil, fmt.Errorf("updating the index in %s: %w", outDir, err)
		}
		res.Index = filepath.Join(outDir, index.FileName)
		phase(log, t, "updated index", "path", res.Index)
	}
	res.Duration = time.Since(start)
	return res, nil
}
