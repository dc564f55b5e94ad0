package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/graph"
)

func init() { register(newGraphCmd, "graph") }

func newGraphCmd() *cobra.Command {
	var o graph.Options
	var format string
	cmd := &cobra.Command{
		Use:   "graph RECIPE|DIR...",
		Short: "Print the dependency graph of a set of recipes as JSON or DOT",
		Example: `  pestle graph recipes/ --pipeline-dir pipelines/
  pestle graph recipes/ --format dot | dot -Tsvg > graph.svg`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := graph.Discover(args)
			if err != nil {
				return err
			}
			g, err := graph.Load(files, o)
			if err != nil {
				return err
			}
			var out []byte
			switch format {
			case "json":
				if out, err = g.JSON(); err != nil {
					return err
				}
			case "dot":
				out = g.DOT()
			case "summary":
				out = []byte(g.Summary())
			default:
				return fmt.Errorf("--format %q: want json, dot or summary", format)
			}
			if _, err := cmd.OutOrStdout().Write(out); err != nil {
				return err
			}
			if format != "summary" {
				fmt.Fprint(cmd.ErrOrStderr(), g.Summary())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "json", "json, dot (Graphviz) or summary (figures and cycles)")
	f.StringVar(&o.Arch, "arch", "", "architecture the recipes are compiled for (default: the host's)")
	f.StringSliceVar(&o.PipelineDirs, "pipeline-dir", nil, "directories searched for uses: pipelines before the built-in ones")
	f.StringVar(&o.VarsFile, "vars-file", "", "YAML map of variables merged over each recipe's vars")
	f.StringSliceVar(&o.BuildOptions, "build-option", nil, "enable a build option of the recipes' options:")
	return cmd
}
