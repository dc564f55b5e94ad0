package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// rootUsage is the root command's help: every command with its one-line
// summary and its first example, so `pestle --help` is a cheat sheet.
const rootUsage = `Usage:
  {{.CommandPath}} [command]

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{with firstExample .}}
  {{rpad "" $.NamePadding}}   $ {{.}}{{end}}{{end}}{{end}}

Flags:
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}

Use "{{.CommandPath}} [command] --help" for the flags and examples of a command.
`

func init() {
	cobra.AddTemplateFunc("firstExample", firstExample)
}

// firstExample returns the first line of a command's Example without its
// indentation and trailing comment.
func firstExample(c *cobra.Command) string {
	line, _, _ := strings.Cut(strings.TrimSpace(c.Example), "\n")
	if i := strings.Index(line, "  #"); i > 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}
