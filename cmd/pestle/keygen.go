package main

import (
	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/keys"
)

func init() { register(newKeygenCmd, "keygen") }

func newKeygenCmd() *cobra.Command {
	var bits int
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen [NAME]",
		Short: "Generate an RSA signing key pair (NAME and NAME.pub)",
		Example: `  pestle keygen                  # melange.rsa + melange.rsa.pub
  pestle keygen local.rsa --key-size 2048`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "melange.rsa"
			if len(args) == 1 {
				name = args[0]
			}
			priv, err := keys.Generate(bits)
			if err != nil {
				return err
			}
			if err := keys.WritePair(name, priv, force); err != nil {
				return err
			}
			printf(cmd, "wrote private key %s (mode 0600) and public key %s.pub (%d bits)\n", name, name, priv.N.BitLen())
			return nil
		},
	}
	cmd.Flags().IntVar(&bits, "key-size", keys.DefaultBits, "RSA key size in bits (at least 2048)")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "replace an existing key pair")
	return cmd
}
