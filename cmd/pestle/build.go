package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/build"
)

func init() { register(newBuildCmd) }

// recipeNames are looked for, in order, when build gets no recipe argument.
var recipeNames = []string{".melange.yaml", ".melange.yml", "melange.yaml", "melange.yml"}

func findRecipe(args []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	for _, n := range recipeNames {
		if _, err := os.Stat(n); err == nil {
			return n, nil
		}
	}
	return "", fmt.Errorf("no recipe given and none of %s here", strings.Join(recipeNames, ", "))
}

func newBuildCmd() *cobra.Command {
	var o build.Options
	var arches []string
	var generateIndex, rm bool
	var buildDate string
	var bf batchFlags
	cmd := &cobra.Command{
		Use:   "build [RECIPE|DIR...]",
		Short: "Build a melange recipe into signed packages in ./packages/<arch>",
		Example: `  pestle build melange.yaml --arch amd64 --signing-key melange.rsa
  pestle build --signing-key melange.rsa -r ./packages -k melange.rsa.pub
  pestle build recipe.yaml --network --debug --rm=false
  pestle build recipes/ -j 4 --keep-going --signing-key melange.rsa`,
		RunE: func(cmd *cobra.Command, args []string) error {
			recipe, err := findRecipe(args[:min(len(args), 1)])
			if err != nil {
				return err
			}
			o.Recipe = recipe
			if !cmd.Flags().Changed("lint-require") {
				o.LintRequire = nil
			} else if o.LintRequire == nil {
				o.LintRequire = []string{}
			}
			if !cmd.Flags().Changed("lint-warn") {
				o.LintWarn = nil
			} else if o.LintWarn == nil {
				o.LintWarn = []string{}
			}
			o.NoIndex = !generateIndex
			o.Keep = !rm
			if buildDate != "" && os.Getenv("SOURCE_DATE_EPOCH") == "" {
				t, err := time.Parse(time.RFC3339, buildDate)
				if err != nil {
					return fmt.Errorf("--build-date %q: want RFC 3339, e.g. 2024-01-02T15:04:05Z", buildDate)
				}
				sde := t.Unix()
				o.SourceDateEpoch = &sde
			}
			o.Logger = logger()
			o.Progress = newProgress()
			o.Stdout = cmd.ErrOrStderr()
			o.Stderr = cmd.ErrOrStderr()
			o.Stdin = os.Stdin
			if len(arches) == 0 {
				arches = []string{""}
			}
			if bf.many(cmd, args) {
				if len(args) == 0 {
					args = []string{recipe}
				}
				return buildMany(cmd, args, o, arches, &bf)
			}
			failed := false
			for _, a := range arches {
				o.Arch = a
				res, err := build.Build(cmd.Context(), o)
				if err != nil {
					if len(arches) == 1 {
						return err
					}
					fmt.Fprintf(cmd.ErrOrStderr(), "pestle: %s: %v\n", a, err)
					failed = true
					continue
				}
				report(cmd, res)
			}
			if failed {
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&arches, "arch", nil, "architectures to build (x86_64, aarch64 or amd64, arm64); default: the host's")
	f.StringVar(&o.SigningKey, "signing-key", "", "RSA private key that signs the packages and the index (unsigned when empty)")
	f.StringVar(&o.OutDir, "out-dir", "./packages/", "where <arch>/*.apk and APKINDEX.tar.gz are written")
	f.StringVar(&o.SourceDir, "source-dir", "", "directory copied into the workspace (default: the recipe's directory)")
	f.StringVar(&o.WorkspaceDir, "workspace-dir", "", "keep the workspace in DIR/<arch> (default: a temporary directory)")
	f.StringVar(&o.CacheDir, "cache-dir", "./melange-cache/", "mounted at /var/cache/melange when it exists")
	f.StringVar(&o.ApkCacheDir, "apk-cache-dir", "", "cache of packages, indexes, sources and guest roots (default: the user cache dir)")
	f.StringSliceVar(&o.PipelineDirs, "pipeline-dir", nil, "directories searched for uses: pipelines before the built-in ones")
	f.StringSliceVar(&o.PipelineDirs, "pipeline-dirs", nil, "same as --pipeline-dir")
	_ = f.MarkHidden("pipeline-dirs")
	f.StringSliceVarP(&o.Keyring, "keyring-append", "k", nil, "public keys (files, dirs or URLs) trusted for the repositories")
	f.StringSliceVarP(&o.Repositories, "repository-append", "r", nil, "repositories (dirs or URLs) added to the recipe's")
	f.StringSliceVar(&o.Packages, "package-append", nil, "packages added to the build environment")
	f.StringVar(&o.VarsFile, "vars-file", "", "YAML map of variables merged over the recipe's vars")
	f.StringVar(&o.EnvFile, "env-file", "", "dotenv file of variables for every step (the recipe's environment wins)")
	f.StringSliceVar(&o.BuildOptions, "build-option", nil, "enable a build option of the recipe's options:")
	f.BoolVar(&generateIndex, "generate-index", true, "merge the packages into <out-dir>/<arch>/APKINDEX.tar.gz")
	f.BoolVar(&o.EmptyWorkspace, "empty-workspace", false, "start with an empty workspace instead of a copy of the source dir")
	f.BoolVar(&rm, "rm", true, "remove the workspace and guest root afterwards")
	f.StringVar(&o.Namespace, "namespace", "", "written as the packages' maintainer")
	f.StringVar(&buildDate, "build-date", "", "RFC 3339 date of every file (SOURCE_DATE_EPOCH wins; default: epoch 0)")
	f.BoolVar(&o.Debug, "debug", false, "trace every shell command (set -x)")
	f.BoolVarP(&o.Interactive, "interactive", "i", false, "drop into a shell in the sandbox when a step fails")
	f.BoolVar(&o.Network, "network", false, "give the sandbox the host's network (off by default)")
	f.BoolVar(&o.AllowUntrusted, "allow-untrusted", false, "accept unsigned or untrusted repository indexes")
	f.StringSliceVar(&o.LintRequire, "lint-require", nil, "linters whose findings fail the build (default: melange's required set)")
	bf.add(f)
	f.BoolVar(&o.Resume, "resume", false, "continue the last failed build of RECIPE from the step that failed, in its kept workspace")
	f.StringSliceVar(&o.LintWarn, "lint-warn", nil, "linters whose findings are only warnings (default: melange's warning set)")
	return cmd
}

// report prints the summary of a build: what was written where.
func report(cmd *cobra.Command, res *build.Result) {
	if res.Skipped != "" {
		printf(cmd, "skipped: %s\n", res.Skipped)
		return
	}
	for _, w := range res.Packages {
		printf(cmd, "wrote %s (%s)\n", w.Path, humanBytes(w.Info.FileSize))
	}
	if res.Index != "" {
		printf(cmd, "updated %s\n", res.Index)
	}
	if res.Workspace != "" {
		printf(cmd, "workspace kept in %s\n", res.Workspace)
	}
	printf(cmd, "built %d package(s) for %s in %s\n", len(res.Packages), res.Arch, res.Duration.Round(time.Millisecond))
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
