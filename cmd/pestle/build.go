package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pestle-dev/pestle/internal/termsafe"
	"github.com/pestle-dev/pestle/pipeline/build"
)

func init() { register(newBuildCmd, "build") }

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
	var b buildFlags
	var bf batchFlags
	cmd := &cobra.Command{
		Use:   "build [RECIPE|DIR...]",
		Short: "Build a melange recipe into signed packages in ./packages/<arch>",
		Long: `Build a melange recipe into signed packages in <out-dir>/<arch> and merge them
into that directory's APKINDEX.tar.gz. Every flag of 'melange build' is
accepted with melange's meaning (see the README's flags table); --runner
must be bubblewrap or left out.`,
		Example: `  pestle build melange.yaml --arch amd64 --signing-key melange.rsa
  pestle build --signing-key melange.rsa -r ./packages -k melange.rsa.pub
  pestle build recipe.yaml --network-allow proxy.golang.org --debug --rm=false
  pestle build recipes/ -j 4 --keep-going --signing-key melange.rsa`,
		RunE: func(cmd *cobra.Command, args []string) error {
			deferFirstGC()
			if err := bareNetwork(cmd.Flags(), args); err != nil {
				return err
			}
			recipe, err := findRecipe(args[:min(len(args), 1)])
			if err != nil {
				return err
			}
			arches, err := b.options(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			defer b.close()
			o := b.run.o
			o.Recipe = recipe
			o.ResumeFlags = resumeFlags(cmd.Flags())
			o.Progress = newProgress()
			o.Stdout, o.Stderr, o.Stdin = cmd.ErrOrStderr(), cmd.ErrOrStderr(), os.Stdin
			if bf.many(cmd, args) {
				if len(args) == 0 {
					args = []string{recipe}
				}
				return buildMany(cmd, args, o, arches, &bf)
			}
			return runBuild(cmd, o, arches)
		},
	}
	f := cmd.Flags()
	addBuildFlags(f, &b)
	bf.add(f)
	f.BoolVar(&b.run.o.Resume, "resume", false, "continue the last failed build of RECIPE from the step that failed, in its kept workspace")
	return cmd
}

// resumeFlags are the flags set on this build, for the hint that resumes
// a failed step: each as --name=value (a list flag once per element),
// leaving out --resume and the flags that make a build of many recipes.
func resumeFlags(f *pflag.FlagSet) []string {
	var out []string
	f.Visit(func(fl *pflag.Flag) {
		switch fl.Name {
		case "resume", "jobs", "keep-going", "force", "dry-run", "json", "only":
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				if strings.ContainsAny(v, ",\"") {
					v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"` // CSV, as list flags read it
				}
				out = append(out, "--"+fl.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+fl.Name+"="+fl.Value.String())
	})
	return out
}

// runBuild is what build runs once its flags are read (a test seam).
var runBuild = buildArches

// buildArches builds o for each architecture in turn, reporting each;
// a failure of one does not stop the others when there are several.
func buildArches(cmd *cobra.Command, o build.Options, arches []string) error {
	var errs []error
	build.BuildArches(cmd.Context(), o, arches, func(r build.ArchResult) {
		if r.Err == nil {
			report(cmd, r.Result)
		}
		errs = append(errs, archFailed(cmd, len(arches), r.Arch, r.Err))
	})
	return archesError(errs)
}

// archFailed says on stderr that one of n architectures failed (for
// n > 1; a single one's error is the command's) and returns err.
func archFailed(cmd *cobra.Command, n int, arch string, err error) error {
	if err != nil && n > 1 {
		fmt.Fprintf(cmd.ErrOrStderr(), "pestle: %s: %s\n", arch, termsafe.String(err.Error()))
	}
	return err
}

// archesError is the command's error after one run per architecture:
// the only one's error, or exit code 1 when any of several failed.
func archesError(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	for _, err := range errs {
		if err != nil {
			return exitError{code: 1}
		}
	}
	return nil
}

// report prints the summary of a build: what was written where.
func report(cmd *cobra.Command, res *build.Result) {
	if res.Skipped != "" {
		printf(cmd, "skipped: %s\n", res.Skipped)
		return
	}
	unsigned := ""
	if res.Unsigned {
		unsigned = ", unsigned: no --signing-key"
	}
	for _, w := range res.Packages {
		printf(cmd, "wrote %s (%s%s)\n", w.Path, humanBytes(w.Info.FileSize), unsigned)
	}
	if res.Index != "" {
		if res.Unsigned {
			printf(cmd, "updated %s (unsigned)\n", res.Index)
		} else {
			printf(cmd, "updated %s\n", res.Index)
		}
	}
	if res.Network != "" {
		printf(cmd, "%s\n", res.Network)
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
