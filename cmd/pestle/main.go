// Command pestle builds Alpine-format (.apk) packages from melange recipes
// inside a bubblewrap sandbox and keeps a signed local repository.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(os.Stderr, "pestle:", ex.msg)
			}
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "pestle:", err)
		if ctx.Err() != nil {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

// exitError ends the process with code after printing msg (if any); commands
// that have already reported their failures line by line return it.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
