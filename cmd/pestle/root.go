package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/internal/termsafe"
	"github.com/pestle-dev/pestle/keys"
)

type globalFlags struct {
	logLevel string
}

var global globalFlags

func newRoot() *cobra.Command { return newRootFor(nil) }

// newRootFor returns the root command for the command line args. When
// args start with the name of a command (see register), only that
// subcommand is built: building all of them was a good part of the
// start-up of a short command such as compile.
func newRootFor(args []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "pestle",
		Short: "Build Alpine-format packages from melange recipes in a sandbox",
		Long: `pestle builds Alpine-format (.apk) packages from melange YAML recipes inside
a bubblewrap sandbox, then packs, signs and indexes them into a local
repository (./packages/<arch>/ with a signed APKINDEX.tar.gz).`,
		Example: `  pestle keygen
  pestle build melange.yaml --arch amd64 --signing-key melange.rsa`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&global.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	plain := root.UsageTemplate()
	root.SetUsageTemplate(rootUsage)
	mks := wanted(args)
	one := len(mks) < len(commands)
	// Built for one named command, the tree has no use for cobra's
	// completion command (its set-up was 3% of a compile's page faults).
	root.CompletionOptions.DisableDefaultCmd = one
	// Nor for cobra's search of the command line for the command, which
	// walks and copies every argument twice: for `pestle index` of 5,000
	// packages that was 350 page faults. Traversing stops at the first
	// argument that names no subcommand: args[1] at the latest.
	root.TraverseChildren = one
	for _, mk := range mks {
		c := mk()
		c.SetUsageTemplate(plain)
		root.AddCommand(c)
	}
	return root
}

// commands holds the constructors of every subcommand. Each command's file
// adds its own in an init function, so adding a command touches one file.
var commands []func() *cobra.Command

// named maps the name of each command to its constructor.
var named = map[string]func() *cobra.Command{}

// register adds a subcommand's constructor under its name (its Use up to
// the first space; TestNamedCommandsMatchTheirNames checks).
func register(mk func() *cobra.Command, name string) {
	commands = append(commands, mk)
	named[name] = mk
}

// wanted returns the constructors to build for args: only the named
// command's when args[0] names one, else all.
func wanted(args []string) []func() *cobra.Command {
	if len(args) > 0 {
		if mk, ok := named[args[0]]; ok {
			return []func() *cobra.Command{mk}
		}
	}
	return commands
}

// logger returns the logger the commands hand to the libraries.
func logger() *slog.Logger {
	var lvl slog.Level
	switch strings.ToLower(global.logLevel) {
	case "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	return slog.New(newLineHandler(os.Stderr, lvl))
}

// printf writes a line for the user on stdout.
func printf(cmd *cobra.Command, format string, args ...any) {
	// What is printed names packages, files and errors that come from
	// untrusted input: made safe for the terminal.
	io.WriteString(cmd.OutOrStdout(), termsafe.String(fmt.Sprintf(format, args...)))
}

// loadSigner reads the signing key at path, logging the warning of a key
// name installers will trouble over.
func loadSigner(path string) (*keys.Signer, error) {
	s, warning, err := keys.LoadSigner(path)
	if warning != "" {
		logger().Warn(warning)
	}
	return s, err
}
