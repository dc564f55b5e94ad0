package main

import (
	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline"
)

func init() { register(newPackageVersionCmd, "package-version") }

func newPackageVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "package-version [RECIPE]",
		Short: "Print the recipe's NAME-VERSION-rEPOCH, as 'melange package-version' does",
		Long: `Print the origin package of a recipe as NAME-VERSION-rEPOCH, with no
newline after it, exactly as 'melange package-version' prints it (Makefiles
use it to name the .apk they expect).`,
		Example: `  pestle package-version hello.yaml     # hello-2.12-r0`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			recipe, err := findRecipe(args)
			if err != nil {
				return err
			}
			p, err := pipeline.ReadIdentity(recipe)
			if err != nil {
				return err
			}
			printf(cmd, "%s", p.Identity())
			return nil
		},
	}
}
