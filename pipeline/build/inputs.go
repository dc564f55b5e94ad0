package build

import (
	"context"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/pipeline"
)

// Inputs are what a build of the same options would start from, found
// without building: the compiled plan and the resolved build environment.
type Inputs struct {
	Plan *pipeline.Plan
	// Environment are the packages the guest root would hold, in install
	// order, each with its checksum.
	Environment []*apk.PackageInfo
}

// ResolveInputs compiles the recipe of opts and resolves its build
// environment against the repositories, as Build would. When the recipe
// does not target the architecture, the error wraps
// pipeline.ErrArchNotTargeted.
func ResolveInputs(ctx context.Context, opts Options) (*Inputs, error) {
	plan, err := compile(&opts.EnvOptions)
	if err != nil {
		return nil, err
	}
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	sel, err := resolveEnv(ctx, buildEnvironment(&opts, plan),
		repo.Options{CacheDir: apkCache, Logger: opts.logger(), Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	return &Inputs{Plan: plan, Environment: sel.Packages}, nil
}

// buildEnvironment is the guest environment of a build of plan.
func buildEnvironment(opts *Options, plan *pipeline.Plan) environment {
	return environment{
		Arch:           plan.Arch,
		Repositories:   joined(plan.Environment.Repositories, opts.Repositories),
		Keyring:        joined(plan.Environment.Keyring, opts.Keyring),
		Packages:       joined(plan.Environment.Packages, opts.Packages),
		Accounts:       plan.Environment.Accounts,
		AllowUntrusted: opts.AllowUntrusted,
	}
}
