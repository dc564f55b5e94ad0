package main

import (
	"crypto"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
)

func init() { register(newSignCmd, "sign") }

func newSignCmd() *cobra.Command {
	var signingKey string
	cmd := &cobra.Command{
		Use:   "sign [--signing-key KEY] FILE.apk...",
		Short: "Re-sign packages in place",
		Long: `Replace the signature of each package with an RSA256 signature made with
KEY, named after the key file (.SIGN.RSA256.<key>.pub), like 'melange sign'.
The control and data members are kept byte for byte, the data is checked
against its datahash on the way, and each file is replaced atomically.
Packages are signed in parallel.`,
		Example: `  pestle sign --signing-key melange.rsa packages/x86_64/*.apk
  pestle sign -k local-melange.rsa hello-2.12.1-r0.apk`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			signer, err := loadSigner(signingKey)
			if err != nil {
				return err
			}
			signer.Hash = crypto.SHA256
			errs := parallel(len(args), func(i int) error {
				return apk.ResignFile(args[i], signer)
			})
			failed := 0
			for i, path := range args {
				if errs[i] != nil {
					failed++
					printf(cmd, "FAIL %s: %s\n", path, reason(errs[i]))
					continue
				}
				printf(cmd, "signed %s with %s\n", path, signer.Name)
			}
			if failed > 0 {
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&signingKey, "signing-key", "k", "local-melange.rsa", "RSA private key to sign with")
	return cmd
}

// parallel runs fn(0..n-1), as many at once as there are cores, and
// returns the errors in order.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errs
}
