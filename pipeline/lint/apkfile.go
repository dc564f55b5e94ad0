package lint

import (
	"archive/tar"
	"context"
	"log/slog"
	"os"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
)

// File lints the package file at path as a build lints its output tree:
// it extracts the package into a temporary directory (checking its
// integrity, not its signature), takes package.checks.disabled and the
// test pipelines from the package's own .melange.yaml when it has one,
// and runs opts's linters. PackageName, Arch, Special, Disabled and Tests
// of opts come from the package. An unreadable .melange.yaml is logged
// and ignored.
func File(ctx context.Context, path string, opts Options, log *slog.Logger) (Results, error) {
	dir, err := os.MkdirTemp("", "pestle-lint-*")
	if err != nil {
		return Results{}, err
	}
	defer fsutil.RemoveTree(dir)
	var special []string
	pkg, err := apk.ReadFile(path, apk.ReadOptions{
		ExtractTo:    dir,
		SkipDataHash: true,
		Logger:       log,
		OnEntry: func(e apk.Entry) error {
			switch e.Type {
			case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
				special = append(special, e.Name)
			}
			return nil
		},
	})
	if err != nil {
		return Results{}, err
	}
	opts.PackageName, opts.Arch, opts.Special = pkg.Info.Name, pkg.Info.Arch, special
	if recipe, ok := pkg.Control[".melange.yaml"]; ok {
		opts.Disabled, opts.Tests, err = FromRecipe(recipe, pkg.Info.Name)
		if err != nil && log != nil {
			log.Warn("ignoring the package's .melange.yaml", "package", pkg.Info.Name, "err", err)
		}
	}
	findings, err := Run(ctx, dir, opts)
	if err != nil {
		return Results{}, err
	}
	return Results{Package: pkg.Info.Name, Version: pkg.Info.Version, Arch: pkg.Info.Arch, Findings: findings}, nil
}
