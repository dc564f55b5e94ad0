//go:build !linux

package sandbox

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Bubblewrap only exists on Linux; these keep the package building
// elsewhere, where Start refuses to run.

func sysProcAttr(int) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func pidfdOpen(int) (int, error) { return -1, errors.New("pidfd: not supported") }

func pidfdKill(int) {}

func pidfdWait(int, time.Duration) bool { return true }

func closeFD(int) {}

func isForegroundTTY(*os.File) bool { return false }

// IsTerminal reports whether f is a terminal; never, where bwrap is not.
func IsTerminal(*os.File) bool { return false }

func restoreForeground(int) {}

// ownPIDNS makes no namespace here (see the Linux version).
func ownPIDNS(*syscall.SysProcAttr, bool) bool { return false }
