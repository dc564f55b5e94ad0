package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
)

func init() { register(newPackCmd, "pack") }

type packFlags struct {
	name, version, arch         string
	epoch                       uint64
	description, url, license   string
	origin                      string
	depends, provides, replaces []string
	providerPriority            uint64
	signingKey, output          string
	sourceDateEpoch             int64
	sourceDateEpochSet          bool
}

func newPackCmd() *cobra.Command {
	var f packFlags
	cmd := &cobra.Command{
		Use:   "pack DIR --name NAME --version VERSION",
		Short: "Pack a directory tree into a signed .apk",
		Long: `Pack a directory tree into an Alpine (APK v2) package, like nfpm for apk:
every file, directory, symlink and hard link of DIR, owned by root, with
every mtime set to SOURCE_DATE_EPOCH. The package is NAME-VERSION-rEPOCH and
goes to ./packages/<arch>/ unless -o says otherwise; it is signed when
--signing-key is given (signature named after the key file + ".pub"). The
same tree and flags give the same bytes.`,
		Example: `  pestle pack ./rootfs --name busybox --version 1.36.1 --signing-key melange.rsa
  pestle pack out/ --name hello --version 2.12.1 --epoch 2 --arch arm64 --depends so:libc.so.6 -o hello.apk`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.sourceDateEpochSet = cmd.Flags().Changed("source-date-epoch")
			return runPack(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.name, "name", "", "package name (required)")
	fl.StringVar(&f.version, "version", "", "package version, without -rN (required)")
	fl.Uint64Var(&f.epoch, "epoch", 0, "package epoch: the N of -rN")
	fl.StringVar(&f.arch, "arch", "", "architecture (default the host's; amd64 and arm64 are accepted)")
	fl.StringVar(&f.description, "description", "", "one-line description")
	fl.StringVar(&f.url, "url", "", "project URL")
	fl.StringVar(&f.license, "license", "", "license (SPDX expression)")
	fl.StringVar(&f.origin, "origin", "", "origin package (default the name)")
	fl.StringSliceVar(&f.depends, "depends", nil, "runtime dependencies (repeatable, comma-separated)")
	fl.StringSliceVar(&f.provides, "provides", nil, "provided names, e.g. cmd:hello=1.0-r0 (repeatable, comma-separated)")
	fl.StringSliceVar(&f.replaces, "replaces", nil, "packages whose files this one may overwrite (repeatable, comma-separated)")
	fl.Uint64Var(&f.providerPriority, "provider-priority", 0, "priority among providers of the same name")
	fl.StringVar(&f.signingKey, "signing-key", "", "RSA private key to sign with (default: unsigned)")
	fl.Int64Var(&f.sourceDateEpoch, "source-date-epoch", 0, "mtime of every entry, in Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	fl.StringVarP(&f.output, "output", "o", "", "output file (default ./packages/<arch>/NAME-VERSION-rEPOCH.apk)")
	cmd.MarkFlagRequired("name")
	cmd.MarkFlagRequired("version")
	return cmd
}

func runPack(cmd *cobra.Command, dir string, f packFlags) error {
	start := time.Now()
	info, err := apk.PackSpec{
		Name: f.name, Version: f.version, Epoch: f.epoch, Arch: f.arch,
		Description: f.description, URL: f.url, License: f.license, Origin: f.origin,
		Depends: f.depends, Provides: f.provides, Replaces: f.replaces, ProviderPriority: f.providerPriority,
	}.Info()
	if err != nil {
		return err
	}
	epoch := f.sourceDateEpoch
	if !f.sourceDateEpochSet {
		if epoch, _, err = apk.SourceDateEpoch(); err != nil {
			return err
		}
	}
	opts := apk.WriteOptions{SourceDateEpoch: epoch}
	signed := "unsigned"
	if f.signingKey != "" {
		if opts.Signer, err = loadSigner(f.signingKey); err != nil {
			return err
		}
		signed = "signed with " + opts.Signer.Name
	}
	out := f.output
	if out == "" {
		out = filepath.Join("packages", info.Arch, info.Filename())
	}
	if err := apk.WriteFile(out, dir, info, opts); err != nil {
		return err
	}
	printf(cmd, "wrote %s (%s, %s, installed size %s) in %.2fs\n", out, sizeString(info.FileSize), signed,
		sizeString(int64(info.Size)), time.Since(start).Seconds())
	return nil
}

// sizeString renders a byte count for people.
func sizeString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
