package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/internal/termsafe"
	"github.com/pestle-dev/pestle/pipeline/lint"
)

func init() { register(newLintCmd, "lint") }

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
			results := make([]lint.Results, len(args))
			errs := parallel(len(args), func(i int) error {
				var err error
				results[i], err = lint.File(cmd.Context(), args[i], base, logger())
				return err
			})
			if persist && !cmd.Flags().Changed("out-dir") {
				if err := fsutil.NotALink(outDir, "--out-dir", "the lint results are written there"); err != nil {
					return err
				}
			}
			failed, err := reportLint(cmd, args, results, errs, persist, outDir)
			if err != nil {
				return err
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

// reportLint prints the findings of each package (or why it could not be
// linted), writes them with persist, and tells whether any package failed.
func reportLint(cmd *cobra.Command, paths []string, results []lint.Results, errs []error, persist bool, outDir string) (bool, error) {
	failed := false
	for i, path := range paths {
		if errs[i] != nil {
			failed = true
			printf(cmd, "FAIL %s: %s\n", path, reason(errs[i]))
			continue
		}
		r := results[i]
		for _, f := range r.Findings {
			printf(cmd, "%s: %s\n", r.Package, f)
		}
		if len(r.Findings) == 0 {
			printf(cmd, "%s: ok\n", r.Package)
		}
		if persist {
			path, err := lint.WriteResults(outDir, r)
			if err != nil {
				return failed, err
			}
			printf(cmd, "wrote %s\n", path)
		}
		if err := lint.Check(r.Package, r.Findings); err != nil {
			failed = true
			fmt.Fprintln(cmd.ErrOrStderr(), "pestle:", termsafe.String(err.Error()))
		}
	}
	return failed, nil
}

// nonNil keeps an explicitly empty flag (--lint-require=) as "none".
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
