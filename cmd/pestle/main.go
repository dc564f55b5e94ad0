// Command pestle builds Alpine-format (.apk) packages from melange recipes
// inside a bubblewrap sandbox and keeps a signed local repository.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"syscall"

	"github.com/pestle-dev/pestle/internal/termsafe"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// stopSignals end a command the way Ctrl-C does: the context is
// cancelled, running sandboxes are killed and scratch files removed.
// SIGHUP (the terminal went away) and SIGQUIT (Ctrl-\) included: left to
// Go's defaults they would end the process on the spot, leaving debris.
// A second signal does end it on the spot.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// commandContext returns the context the command of args runs under:
// cancelled by stopSignals, except for compile and version, which only
// read and print, so that Ctrl-C may end them on the spot. Watching for
// signals takes two goroutines and a thread of their own, 5% of the page
// faults of a compile, which runs once per recipe in a loop.
func commandContext(args []string) (context.Context, context.CancelFunc) {
	if len(args) > 0 && (args[0] == "compile" || args[0] == "version") {
		return context.WithCancel(context.Background())
	}
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	// After the first signal the command winds down; a second one takes
	// Go's default action and ends the process at once, for a command that
	// is stuck in a system call and cannot see the cancellation.
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}

// run executes the command line args and returns the process's exit code:
// 0, 1 for an error, 130 when interrupted (one of stopSignals), or the
// code a command asked for.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "compile" {
		growStack(len(args))
	}
	ctx, stop := commandContext(args)
	defer stop()
	stopProfile := startProfile()
	defer stopProfile()
	root := newRootFor(args)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	// Read before stop, which cancels ctx too.
	interrupted := ctx.Err() != nil
	if err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(stderr, "pestle:", termsafe.String(ex.msg))
			}
			return ex.code
		}
		// Errors quote recipes, packages and what steps wrote.
		fmt.Fprintln(stderr, "pestle:", termsafe.String(err.Error()))
		if interrupted {
			return 130
		}
		return 1
	}
	return 0
}

// exitError ends the process with code after printing msg (if any); commands
// that have already reported their failures line by line return it.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// startProfile writes a CPU profile to $PESTLE_CPUPROFILE and an execution
// trace to $PESTLE_TRACE when they are set (for `go tool pprof` and
// `go tool trace`); the returned function finishes them.
func startProfile() func() {
	var done []func()
	if path := os.Getenv("PESTLE_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			done = append(done, func() { pprof.StopCPUProfile(); f.Close() })
		} else {
			fmt.Fprintln(os.Stderr, "pestle: PESTLE_CPUPROFILE: cannot write", path)
		}
	}
	if path := os.Getenv("PESTLE_TRACE"); path != "" {
		if f, err := os.Create(path); err == nil && trace.Start(f) == nil {
			done = append(done, func() { trace.Stop(); f.Close() })
		} else {
			fmt.Fprintln(os.Stderr, "pestle: PESTLE_TRACE: cannot write", path)
		}
	}
	return func() {
		for _, f := range done {
			f()
		}
	}
}
