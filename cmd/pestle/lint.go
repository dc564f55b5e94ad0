package main

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline/lint"
)

func init() { register(newLintCmd) }

func newLintCmd() *cobra.Command {
	var require, warn []string
	var list, persist bool
	var outDir string
	cmd := &cobra.Command{
		Use:   "lint FILE.apk...",
		Short: "Run the package linters on existing packages",
		Long: `Extract each package to a temporary directory and run the same linters a
build runs on its output trees. Every finding is one line:

  <package>: <linter>: <path>: <message> [required|warning]

A package without findings prints "<package>: ok". The exit code is 1 if a
required linter found something (or a package could not be read).

Signatures are not checked (no keyring is needed); integrity is. The
package's own .melange.yaml, when present, supplies package.checks.disabled
(required linters turned into warnings) and the test pipelines that
silence pkgconf and lddcheck. --lint-require and --lint-warn replace the
default lists; --list shows every linter with its default.`,
		Example: `  pestle lint packages/x86_64/*.apk
  pestle lint --lint-require dev,tempdir --lint-warn strip hello-2.12.1-r0.apk
  pestle lint --list`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				return listLinters(cmd)
			}
			if len(args) == 0 {
				return fmt.Errorf("no package given (try: pestle lint packages/x86_64/*.apk, or pestle lint --list)")
			}
			base := lint.Options{}
			if cmd.Flags().Changed("lint-require") {
				base.Require = nonNil(require)
			}
			if cmd.Flags().Changed("lint-warn") {
				base.Warn = nonNil(warn)
			}
			if err := lint.CheckNames(append(slices.Clone(base.Require), base.Warn...)...); err != nil {
				return err
			}
			results := make([]lintResult, len(args))
			errs := parallel(len(args), func(i int) error {
				var err error
				results[i], err = lintPackage(cmd.Context(), args[i], base)
				return err
			})
			failed := false
			for i, path := range args {
				if errs[i] != nil {
					failed = true
					printf(cmd, "FAIL %s: %s\n", path, reason(errs[i]))
					continue
				}
				r := results[i]
				for _, f := range r.findings {
					printf(cmd, "%s: %s\n", r.name, f)
				}
				if len(r.findings) == 0 {
					printf(cmd, "%s: ok\n", r.name)
				}
				if persist {
					path, err := lint.WriteResults(outDir, lint.Results{Package: r.name, Version: r.version, Arch: r.arch, Findings: r.findings})
					if err != nil {
						return err
					}
					printf(cmd, "wrote %s\n", path)
				}
				if err := lint.Check(r.name, r.findings); err != nil {
					failed = true
					fmt.Fprintln(cmd.ErrOrStderr(), "pestle:", err)
				}
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&require, "lint-require", lint.DefaultRequired(), "linters that must pass (repeatable, comma-separated; replaces the default list)")
	cmd.Flags().StringSliceVar(&warn, "lint-warn", lint.DefaultWarn(), "linters that only warn (repeatable, comma-separated; replaces the default list)")
	cmd.Flags().BoolVar(&list, "list", false, "list every linter with its default level and fix, then exit")
	cmd.Flags().BoolVar(&persist, "persist-lint-results", false, "also write each package's findings to <out-dir>/<arch>/lint-<package>-<version>.json")
	cmd.Flags().StringVar(&outDir, "out-dir", "packages", "where --persist-lint-results writes")
	cmd.Flags().Bool("fail-on-lint-warning", false, "deprecated: use --lint-require and --lint-warn")
	_ = cmd.Flags().MarkDeprecated("fail-on-lint-warning", "use --lint-require and --lint-warn instead")
	return cmd
}

type lintResult struct {
	name, version, arch string
	findings            []lint.Finding
}

// nonNil keeps an explicitly empty flag (--lint-require=) as "none".
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// lintPackage extracts one package into a temporary directory and lints it.
func lintPackage(ctx context.Context, path string, opts lint.Options) (lintResult, error) {
	dir, err := os.MkdirTemp("", "pestle-lint-*")
	if err != nil {
		return lintResult{}, err
	}
	defer fsutil.RemoveTree(dir)
	var special []string
	pkg, err := apk.ReadFile(path, apk.ReadOptions{
		ExtractTo:    dir,
		SkipDataHash: true,
		Logger:       logger(),
		OnEntry: func(e apk.Entry) error {
			switch e.Type {
			case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
				special = append(special, e.Name)
			}
			return nil
		},
	})
	if err != nil {
		return lintResult{}, err
	}
	opts.PackageName, opts.Arch, opts.Special = pkg.Info.Name, pkg.Info.Arch, special
	if recipe, ok := pkg.Control[".melange.yaml"]; ok {
		opts.Disabled, opts.Tests, err = lint.FromRecipe(recipe, pkg.Info.Name)
		if err != nil {
			logger().Warn("ignoring the package's .melange.yaml", "package", pkg.Info.Name, "err", err)
		}
	}
	findings, err := lint.Run(ctx, dir, opts)
	if err != nil {
		return lintResult{}, err
	}
	return lintResult{name: pkg.Info.Name, version: pkg.Info.Version, arch: pkg.Info.Arch, findings: findings}, nil
}

func listLinters(cmd *cobra.Command) error {
	level := map[string]string{}
	for _, n := range lint.DefaultRequired() {
		level[n] = "required"
	}
	for _, n := range lint.DefaultWarn() {
		level[n] = "warning"
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "LINTER\tDEFAULT\tFIX")
	for _, n := range lint.Names() {
		lv := level[n]
		if lv == "" {
			lv = "off"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", n, lv, lint.Explain(n))
	}
	return w.Flush()
}
