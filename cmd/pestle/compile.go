package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline"
)

func init() { register(newCompileCmd, "compile") }

type compileFlags struct {
	arch         string
	pipelineDirs []string
	varsFile     string
	buildOptions []string
	libc         string
}

func newCompileCmd() *cobra.Command {
	var b buildFlags
	cmd := &cobra.Command{
		Use:   "compile [RECIPE]",
		Short: "Print the compiled build plan of a recipe as JSON",
		Long: `compile parses a melange recipe strictly, substitutes every variable for one
architecture, expands data ranges, evaluates if: conditions and inlines uses:
pipelines, then prints the resulting build plan as JSON. It runs nothing.
Every problem found is reported (file:line:col) and the exit code is 1.
It accepts every flag of 'pestle build'; those that only matter to a build
are checked and otherwise ignored.`,
		Example: `  pestle compile melange.yaml
  pestle compile melange.yaml --arch aarch64 --pipeline-dir ./pipelines
  pestle compile melange.yaml --vars-file vars.yaml --build-option with-tests`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arches, err := b.options(cmd.Flags().Changed)
			if err != nil {
				return err
			}
			defer b.close()
			if len(arches) != 1 {
				return fmt.Errorf("--arch: compile prints one plan; give one architecture, not %d", len(arches))
			}
			o := b.run.o
			recipe, err := findRecipe(args)
			if err != nil {
				return err
			}
			return runCompile(cmd, recipe, compileFlags{
				arch: arches[0], pipelineDirs: o.PipelineDirs, varsFile: o.VarsFile,
				buildOptions: o.BuildOptions, libc: o.LibcFlavor,
			})
		},
	}
	addBuildFlags(cmd.Flags(), &b)
	return cmd
}

func runCompile(cmd *cobra.Command, file string, f compileFlags) error {
	plan, err := compileRecipe(file, f)
	if err != nil {
		var list pipeline.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(cmd.ErrOrStderr(), e)
			}
			return exitError{code: 1, msg: fmt.Sprintf("%s: %d error(s)", file, len(list))}
		}
		return exitError{code: 1, msg: err.Error()}
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	out, err := plan.JSON()
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(out)
	return err
}

func compileRecipe(file string, f compileFlags) (*pipeline.Plan, error) {
	r, err := pipeline.Load(file, pipeline.LoadOptions{})
	if err != nil {
		return nil, err
	}
	return pipeline.Compile(r, pipeline.CompileOptions{
		Arch:         f.arch,
		PipelineDirs: f.pipelineDirs,
		VarsFile:     f.varsFile,
		BuildOptions: f.buildOptions,
		LibcFlavor:   f.libc,
	})
}
