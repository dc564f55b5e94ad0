package main

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

func init() { register(newVerifyCmd, "verify") }

func newVerifyCmd() *cobra.Command {
	var keyring []string
	var allowUntrusted bool
	cmd := &cobra.Command{
		Use:   "verify --keyring KEY... FILE.apk...",
		Short: "Verify packages: signature, datahash and every file checksum",
		Long: `Read each package completely and check what apk-tools checks: the signature
against the keyring (the first signature whose key is there, as apk does),
the datahash of the data segment, every file's SHA-1 and the archive
structure. One line per package; the exit code is 1 if any fails.

A --keyring entry is a public key file (its base name is the key name, as in
/etc/apk/keys) or a directory of *.pub files. Without a key of the
signature's name a package is UNTRUSTED, unless --allow-untrusted is given.`,
		Example: `  pestle verify --keyring melange.rsa.pub packages/x86_64/*.apk
  pestle verify -k /etc/apk/keys --allow-untrusted hello-2.12.1-r0.apk`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := keys.LoadKeyring(keyring...)
			if err != nil {
				return err
			}
			pkgs := make([]*apk.Package, len(args))
			errs := parallel(len(args), func(i int) error {
				pkg, err := apk.ReadFile(args[i], apk.ReadOptions{Keyring: kr, AllowUntrusted: allowUntrusted})
				pkgs[i] = pkg
				return err
			})
			failed := 0
			for i, path := range args {
				if errs[i] != nil {
					failed++
					printf(cmd, "FAIL %s: %s%s\n", path, reason(errs[i]), keyNearby(errs[i], path))
					continue
				}
				info := pkgs[i].Info
				how := "signed by " + pkgs[i].Verified
				if pkgs[i].Verified == "" {
					how = "signature not checked: --allow-untrusted"
				}
				printf(cmd, "OK  %s-%s  (%s)\n", info.Name, info.Version, how)
			}
			if failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringSliceVarP(&keyring, "keyring", "k", nil, "trusted public key file or directory (repeatable, comma-separated)")
	cmd.Flags().BoolVar(&allowUntrusted, "allow-untrusted", false, "accept packages signed by no key of the keyring (integrity is still checked)")
	return cmd
}

// keyNearby names a key file of the signers' names that lies near an
// untrusted package (its directory, the two above it, as in
// packages/x86_64/, or the current one), "" when there is none.
func keyNearby(err error, path string) string {
	var u *apk.UntrustedKeys
	if !errors.As(err, &u) {
		return ""
	}
	dir := filepath.Dir(path)
	if key := keys.FindFile(u.Names, dir, filepath.Dir(dir), filepath.Dir(filepath.Dir(dir)), "."); key != "" {
		return " (there is one: -k " + key + ")"
	}
	return ""
}

// reason is an error without the package prefix the line already shows.
func reason(err error) string {
	var e *apk.Error
	if errors.As(err, &e) && e.Package != "" {
		return strings.TrimPrefix(err.Error(), e.Package+": ")
	}
	return err.Error()
}
