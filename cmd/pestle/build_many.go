package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pestle-dev/pestle/pipeline/batch"
	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/graph"
)

// batchFlags are build's flags for a set of recipes.
type batchFlags struct {
	jobs                          int
	keepGoing, force, dry, asJSON bool
	logDir                        string
	only                          []string
}

func (b *batchFlags) add(f *pflag.FlagSet) {
	f.IntVarP(&b.jobs, "jobs", "j", runtime.NumCPU(), "recipes built at once")
	f.BoolVar(&b.keepGoing, "keep-going", false, "after a failure, build everything that does not need it")
	f.BoolVar(&b.force, "force", false, "build every recipe even when it is up to date")
	f.BoolVar(&b.dry, "dry-run", false, "print the plan (order, what will build and why), build nothing")
	f.BoolVar(&b.asJSON, "json", false, "with --dry-run: print the plan as JSON (each recipe's key, inputs and outputs)")
	f.StringSliceVar(&b.only, "only", nil, "build only these recipes (package names) of the set; what they need must be up to date")
	f.StringVar(&b.logDir, "log-dir", "pestle-logs", "where each recipe's build log goes when several are built")
}

// many reports whether the command line asks for a set of recipes: more
// than one, a folder, or a flag only sets have.
func (b *batchFlags) many(cmd *cobra.Command, args []string) bool {
	if len(args) > 1 {
		return true
	}
	if len(args) == 1 {
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			return true
		}
	}
	for _, name := range []string{"jobs", "keep-going", "force", "dry-run", "json", "only"} {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// buildMany builds a set of recipes as one graph, for each architecture.
func buildMany(cmd *cobra.Command, args []string, o build.Options, arches []string, b *batchFlags) error {
	if o.Resume {
		return fmt.Errorf("--resume continues one recipe's failed build: give that recipe alone")
	}
	if b.asJSON && !b.dry {
		return fmt.Errorf("--json goes with --dry-run")
	}
	files, err := graph.Discover(args)
	if err != nil {
		return err
	}
	ok := true
	var plans []*batch.Report
	for _, arch := range arches {
		o.Arch = arch
		g, err := graph.Load(files, graph.Options{Arch: arch, PipelineDirs: o.PipelineDirs, VarsFile: o.VarsFile, BuildOptions: o.BuildOptions})
		if err != nil {
			return err
		}
		rep, err := batch.Run(cmd.Context(), g, batch.Options{
			Build: o, Jobs: b.jobs, KeepGoing: b.keepGoing, Force: b.force, DryRun: b.dry,
			Only: b.only, LogDir: b.logDir, LogDirChosen: cmd.Flags().Changed("log-dir"), Version: pestleID(), Logger: logger(),
		})
		if err != nil {
			return err
		}
		ok = ok && rep.OK()
		if b.asJSON {
			plans = append(plans, rep)
			continue
		}
		if err := rep.Table(cmd.OutOrStdout()); err != nil {
			return err
		}
	}
	if b.asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(plans); err != nil {
			return err
		}
	}
	if !ok {
		return exitError{code: 1}
	}
	return nil
}

// pestleID is the version and, when known, the commit of this binary: a
// part of every recipe's key.
func pestleID() string {
	id := version
	if commit != "" {
		return id + " " + commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || (s.Key == "vcs.modified" && s.Value == "true") {
				id += " " + s.Value
			}
		}
	}
	return id
}
