package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk/index"
)

func init() { register(newSignIndexCmd, "sign-index") }

func newSignIndexCmd() *cobra.Command {
	var signingKey string
	var force bool
	cmd := &cobra.Command{
		Use:   "sign-index [flags] APKINDEX.tar.gz",
		Short: "Sign a repository index in place",
		Long: `Sign an APKINDEX.tar.gz with an RSA key (RSA256 signature named after the
key file: .SIGN.RSA256.<key>.pub), like 'melange sign-index'.

An index that is already signed is left alone unless --force is given;
then its signatures are removed and it is signed with the given key. The
file is replaced atomically. SOURCE_DATE_EPOCH sets the signature entry's
mtime (default 0).`,
		Example: `  pestle sign-index --signing-key melange.rsa packages/x86_64/APKINDEX.tar.gz
  pestle sign-index -f --signing-key new.rsa APKINDEX.tar.gz   # replace the signature`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			signer, err := loadSigner(signingKey)
			if err != nil {
				return err
			}
			epoch, err := indexEpoch()
			if err != nil {
				return err
			}
			res, err := index.SignFile(args[0], signer, force, epoch)
			if err != nil {
				return err
			}
			if !res.Signed {
				printf(cmd, "%s is already signed (by %s): left alone; pass --force to replace the signature\n",
					args[0], strings.Join(res.Existing, ", "))
				return nil
			}
			if len(res.Existing) > 0 {
				printf(cmd, "removed the signature(s) of %s from %s\n", strings.Join(res.Existing, ", "), args[0])
			}
			printf(cmd, "signed %s with %s (RSA256)\n", args[0], signer.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&signingKey, "signing-key", "melange.rsa", "RSA private key to sign with")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "replace existing signatures")
	return cmd
}
