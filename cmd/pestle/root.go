package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/keys"
)

type globalFlags struct {
	logLevel string
}

var global globalFlags

func newRoot() *cobra.Command {
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
	for _, mk := range commands {
		c := mk()
		c.SetUsageTemplate(plain)
		root.AddCommand(c)
	}
	return root
}

// commands holds the constructors of every subcommand. Each command's file
// adds its own in an init function, so adding a command touches one file.
var commands []func() *cobra.Command

func register(mk func() *cobra.Command) { commands = append(commands, mk) }

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
	fmt.Fprintf(cmd.OutOrStdout(), format, args...)
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
