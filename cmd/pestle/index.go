package main

import (
	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
)

func init() { register(newIndexCmd, "index") }

func newIndexCmd() *cobra.Command {
	var o struct {
		output, source, arch, signingKey, description string
		merge                                         bool
	}
	cmd := &cobra.Command{
		Use:   "index [flags] FILE.apk...",
		Short: "Create or update a repository index (APKINDEX.tar.gz) from .apk files",
		Long: `Create a repository index from .apk files, like 'melange index'.

Each package is checked as apk-tools' "apk index" checks it before it is
indexed: its signature and control segments, its identity (C:), and its data
against the datahash, hashed without decompressing; "pestle verify" also
checks every file's SHA-1. Records are sorted by name then version, so the same
packages always give the same index. With --merge the records of the
existing index (--source, by default the output) are kept, and a package of
the same name and version is replaced. The output is replaced atomically
while holding the lock of its directory. SOURCE_DATE_EPOCH sets the tar
mtimes (default 0).`,
		Example: `  pestle index -o packages/x86_64/APKINDEX.tar.gz packages/x86_64/*.apk --signing-key melange.rsa
  pestle index --merge -a x86_64 -o APKINDEX.tar.gz new-1.0-r0.apk`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			deferFirstGC() // an index of thousands of packages then never collects
			opts := index.BuildOptions{
				Output:      o.output,
				Merge:       o.merge,
				Source:      o.source,
				Description: o.description,
				Logger:      logger(),
			}
			if o.arch != "" {
				a, err := apk.NormalizeArch(o.arch)
				if err != nil {
					return err
				}
				opts.Arch = a
			}
			if cmd.Flags().Changed("source") && !o.merge {
				logger().Warn("--source is only read with --merge; ignored, as melange ignores it")
			}
			var err error
			if opts.SourceDateEpoch, err = indexEpoch(); err != nil {
				return err
			}
			if o.signingKey != "" {
				if opts.Signer, err = loadSigner(o.signingKey); err != nil {
					return err
				}
			}
			res, err := index.Build(args, opts)
			if err != nil {
				return err
			}
			for _, s := range res.Skipped {
				printf(cmd, "skipped %s (%s-%s): %s\n", s.File, s.Info.Name, s.Info.Version, s.Reason)
			}
			signed := "unsigned"
			if opts.Signer != nil {
				signed = "signed with " + opts.Signer.Name
			}
			printf(cmd, "indexed %d package(s) into %s (%d in the index, %s)\n", len(res.Added), o.output, res.Total, signed)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", index.FileName, "index file to write")
	f.StringVarP(&o.source, "source", "s", "", "index to merge from with --merge (default: the output file)")
	f.StringVarP(&o.arch, "arch", "a", "", "index only packages of this architecture (amd64/arm64 accepted); others are skipped")
	f.BoolVarP(&o.merge, "merge", "m", false, "keep the records of the existing index")
	f.StringVar(&o.signingKey, "signing-key", "", "RSA private key to sign the index with (RSA256); unsigned when empty")
	f.StringVar(&o.description, "description", "", "text of the index's DESCRIPTION entry (kept from the merged index when empty)")
	return cmd
}

// indexEpoch is the mtime given to index tar entries: $SOURCE_DATE_EPOCH,
// or 0 when it is unset or empty.
func indexEpoch() (int64, error) {
	sde, _, err := apk.SourceDateEpoch()
	return sde, err
}
