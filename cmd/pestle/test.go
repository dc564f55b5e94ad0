package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/build"
)

func init() { register(newTestCmd) }

func newTestCmd() *cobra.Command {
	var o build.Options
	var rm bool
	cmd := &cobra.Command{
		Use:   "test RECIPE [PACKAGE]",
		Short: "Run a recipe's test pipelines against built packages",
		Long: `For the main package and each subpackage with a test: section (or only
PACKAGE), installs the package from the repositories (-r, usually ./packages)
plus its test.environment into a fresh sandbox and runs the test pipeline.
Prints a pass/fail line per package and exits 1 if any failed.`,
		Example: `  pestle test melange.yaml -r ./packages -k melange.rsa.pub
  pestle test melange.yaml hello-server -r ./packages -r .demo/base -k melange.rsa.pub,.demo/base/pestle-base.rsa.pub`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Recipe = args[0]
			only := ""
			if len(args) == 2 {
				only = args[1]
			}
			o.Keep = !rm
			o.Logger = logger()
			o.Progress = newProgress()
			o.Stdout = cmd.ErrOrStderr()
			o.Stderr = cmd.ErrOrStderr()
			o.Stdin = os.Stdin
			rep, err := build.Test(cmd.Context(), o, only)
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
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Arch, "arch", "", "architecture (x86_64, aarch64 or amd64, arm64; default: the host's)")
	f.StringSliceVarP(&o.Repositories, "repository-append", "r", nil, "repositories to install from (e.g. ./packages)")
	f.StringSliceVarP(&o.Keyring, "keyring-append", "k", nil, "public keys (files, dirs or URLs) trusted for the repositories")
	f.StringSliceVar(&o.Packages, "test-package-append", nil, "packages added to every test environment")
	f.StringVar(&o.SourceDir, "source-dir", "", "directory copied into the test workspace (default: none, an empty workspace)")
	f.StringVar(&o.WorkspaceDir, "workspace-dir", "", "keep the workspace in DIR/test-<package>")
	f.StringVar(&o.CacheDir, "cache-dir", "./melange-cache/", "mounted at /var/cache/melange when it exists")
	f.StringVar(&o.ApkCacheDir, "apk-cache-dir", "", "cache of packages, indexes and guest roots (default: the user cache dir)")
	f.StringVar(&o.EnvFile, "env-file", "", "dotenv file of variables for every step (the recipe's environment wins)")
	f.StringSliceVar(&o.PipelineDirs, "pipeline-dirs", nil, "directories searched for uses: pipelines before the built-in ones")
	f.BoolVar(&o.Debug, "debug", false, "trace every shell command (set -x)")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "drop into a shell in the sandbox when a step fails")
	f.BoolVar(&o.Network, "network", false, "give the sandbox the host's network (off by default)")
	f.BoolVar(&o.AllowUntrusted, "allow-untrusted", false, "accept unsigned or untrusted repository indexes")
	f.BoolVar(&rm, "rm", true, "remove the workspace and guest root afterwards")
	return cmd
}
