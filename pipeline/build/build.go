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
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/source"
	"github.com/pestle-dev/pestle/sandbox"
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

	t := time.Now()
	rec, err := pipeline.Load(opts.Recipe, pipeline.LoadOptions{})
	if err != nil {
		return nil, err
	}
	plan, err := pipeline.Compile(rec, pipeline.CompileOptions{
		Arch: opts.Arch, PipelineDirs: opts.PipelineDirs, VarsFile: opts.VarsFile, BuildOptions: opts.BuildOptions,
	})
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
		keyName = filepath.Base(opts.SigningKey) + ".pub"
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

	runner := opts.Runner
	if runner == nil {
		t = time.Now()
		bw := sandbox.NewBwrap(sandbox.WithLogger(log))
		if err := bw.Preflight(ctx, plan.Arch); err != nil {
			return nil, err
		}
		runner = bw
		phase(log, t, "sandbox ready")
	}

	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}

	// Guest root.
	t = time.Now()
	env := environment{
		Arch:           plan.Arch,
		Repositories:   append(append([]string(nil), plan.Environment.Repositories...), opts.Repositories...),
		Keyring:        append(append([]string(nil), plan.Environment.Keyring...), opts.Keyring...),
		Packages:       append(append([]string(nil), plan.Environment.Packages...), opts.Packages...),
		Accounts:       plan.Environment.Accounts,
		AllowUntrusted: opts.AllowUntrusted,
	}
	set, err := resolveEnv(ctx, env, repo.Options{CacheDir: apkCache, Logger: log, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	phase(log, t, "resolved environment", "packages", len(set.Packages))
	t = time.Now()
	cached, hit, err := guestRoot(ctx, apkCache, env, set)
	if err != nil {
		return nil, fmt.Errorf("installing the build environment: %w", err)
	}
	res.CachedRoot = hit

	// Per-build directories.
	scratch, err := os.MkdirTemp("", "pestle-build-")
	if err != nil {
		return nil, err
	}
	guest := filepath.Join(scratch, "guest")
	workspace := filepath.Join(scratch, "workspace")
	if opts.WorkspaceDir != "" {
		workspace = filepath.Join(opts.WorkspaceDir, plan.Arch)
		if err := os.RemoveAll(workspace); err != nil {
			return nil, err
		}
	}
	cleanup := func() {
		if opts.Keep {
			return
		}
		os.RemoveAll(scratch)
		if opts.WorkspaceDir != "" {
			os.RemoveAll(workspace)
		}
	}
	defer cleanup()
	if opts.Keep {
		res.Workspace = workspace
		log.Info("keeping the workspace and guest root", "workspace", workspace, "guest", guest)
	}
	if err := copyTree(cached, guest, nil); err != nil {
		return nil, err
	}
	how := "installed"
	if hit {
		how = "from cache"
	}
	phase(log, t, "guest root ready", "how", how, "packages", len(set.Packages))

	t = time.Now()
	if err := os.MkdirAll(workspace, 0o755); err != nil {
		return nil, err
	}
	outBase := opts.outDir()
	if !opts.EmptyWorkspace {
		src := opts.SourceDir
		if src == "" {
			src = filepath.Dir(opts.Recipe)
		}
		n, err := populate(src, workspace, outBase, opts.WorkspaceDir, opts.cacheDir())
		if err != nil {
			return nil, fmt.Errorf("copying the source dir into the workspace: %w", err)
		}
		phase(log, t, "workspace ready", "source", src, "files", n)
	}
	for _, p := range plan.Packages {
		if err := os.MkdirAll(filepath.Join(workspace, "melange-out", p.Name), 0o755); err != nil {
			return nil, err
		}
	}

	// Steps.
	spec := sandbox.Spec{
		Root: guest, Workspace: workspace, Env: plan.Environment.Env, SourceDateEpoch: sde,
		Network: opts.Network, Debug: opts.Debug,
		CapAdd: plan.Capabilities.Add, CapDrop: plan.Capabilities.Drop,
	}
	if cd, err := filepath.Abs(opts.cacheDir()); err == nil {
		spec.CacheDir = cd
	}
	if uid, gid, ok, err := runAs(plan.Environment.Accounts); err != nil {
		return nil, err
	} else if ok {
		spec.RunAs = &sandbox.User{UID: uid, GID: gid}
	}
	if err := runner.Start(ctx, spec); err != nil {
		return nil, err
	}
	defer runner.Close()
	srcCache := filepath.Join(apkCache, "sources")
	sr := &stepRunner{plan: plan, sb: runner, workspace: workspace, opts: &opts,
		srcOpts: source.Options{CacheDir: srcCache, Logger: log, SourceDateEpoch: time.Unix(sde, 0)}}
	for _, p := range plan.Packages {
		t = time.Now()
		log.Info("building", "package", p.Name, "steps", len(p.Steps))
		if err := sr.run(ctx, p); err != nil {
			if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && plan.Package.Timeout != "" {
				return nil, fmt.Errorf("%w (package.timeout is %s)", err, plan.Package.Timeout)
			}
			return nil, err
		}
		phase(log, t, "built", "package", p.Name)
	}
	res.Sources = sr.sources

	// Emit.
	outDir := filepath.Join(outBase, plan.Arch)
	em := &emitter{plan: plan, outDir: outDir, key: key, keyName: keyName, sde: sde,
		recipe: recipeBytes, guest: guest, maint: opts.Namespace, tempDir: scratch}
	var infos []*apk.PackageInfo
	for _, p := range plan.Packages {
		info, path, took, err := em.emit(p, filepath.Join(workspace, "melange-out", p.Name))
		if err != nil {
			return nil, err
		}
		log.Info("wrote package", "path", path, "bytes", info.FileSize, "installed", info.Size, "took", took.Round(time.Millisecond))
		res.Packages = append(res.Packages, Written{Info: info, Path: path})
		infos = append(infos, info)
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
