package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/build"
)

func init() { register(newTestCmd, "test") }

func newTestCmd() *cobra.Command {
	var r runFlags
	var testPackages, testOptions []string
	cmd := &cobra.Command{
		Use:   "test [RECIPE [PACKAGE]]",
		Short: "Run a recipe's test pipelines against built packages",
		Long: `For the main package and each subpackage with a test: section (or only
PACKAGE), installs the package from the repositories (-r, usually ./packages)
plus its test.environment into a fresh sandbox and runs the test pipeline.
Prints a pass/fail line per package and exits 1 if any failed. Without
RECIPE, the recipe of the current directory is tested.

Downloads go through the recording proxy, as in a build: a test that
passes writes them to NAME-VERSION.test.network.json beside the package
under test, and --network=replay serves that lock and the build's.`,
		Example: `  pestle test melange.yaml -r ./packages -k melange.rsa.pub
  pestle test melange.yaml hello-server -r ./packages -r .demo/base -k melange.rsa.pub,.demo/base/pestle-base.rsa.pub`,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := bareNetwork(cmd.Flags(), args); err != nil {
				return err
			}
			return cobra.MaximumNArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			arches, err := r.options()
			if err != nil {
				return err
			}
			o := r.o
			if o.Recipe, err = findRecipe(args[:min(len(args), 1)]); err != nil {
				return err
			}
			only := ""
			if len(args) == 2 {
				only = args[1]
			}
			o.Packages = append(append([]string(nil), o.Packages...), testPackages...)
			o.BuildOptions = testOptions
			o.Progress = newProgress()
			o.Stdout, o.Stderr, o.Stdin = cmd.ErrOrStderr(), cmd.ErrOrStderr(), os.Stdin
			return runTests(cmd, o, only, arches)
		},
	}
	f := cmd.Flags()
	addRunFlags(f, &r, "./melange-cache/")
	f.StringSliceVar(&testPackages, "test-package-append", nil, "packages added to every test environment")
	f.StringSliceVar(&testOptions, "test-option", nil, "enable a build option of the recipe's options: while compiling its tests")
	return cmd
}

// runTests is what test runs once its flags are read (a test seam).
var runTests = testArches

// testArches runs the tests for each architecture in turn.
func testArches(cmd *cobra.Command, o build.Options, only string, arches []string) error {
	var errs []error
	topts := build.TestOptions{EnvOptions: o.EnvOptions, Package: only}
	build.TestArches(cmd.Context(), topts, arches, func(r build.ArchResult) {
		errs = append(errs, archFailed(cmd, len(arches), r.Arch, reportTests(cmd, r.Report, r.Err)))
	})
	return archesError(errs)
}

// reportTests prints the outcome of one run of the tests and returns
// the command's error for it.
func reportTests(cmd *cobra.Command, rep *build.TestReport, err error) error {
	if rep != nil && rep.Skipped != "" {
		printf(cmd, "skipped: %s\n", rep.Skipped)
		return nil
	}
	if rep != nil {
		for _, r := range rep.Results {
			if r.Err == nil {
				printf(cmd, "PASS %s (%s)\n", r.Package, r.Duration.Round(time.Millisecond))
			} else {
				printf(cmd, "FAIL %s (%s): %v\n", r.Package, r.Duration.Round(time.Millisecond), r.Err)
			}
		}
	}
	if err != nil {
		return err
	}
	if n := rep.Failed(); n > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("%d of %d package test(s) failed", n, len(rep.Results))}
	}
	return nil
}
