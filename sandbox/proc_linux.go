package sandbox

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
	"time"
	"unsafe"
)

// Linux syscall numbers shared by every architecture (the unified table
// for system calls added after 2019).
const (
	sysPidfdSendSignal = 424
	sysPidfdOpen       = 434
)

// sysProcAttr puts bwrap in its own process group (so the whole group can
// be killed). With a terminal descriptor, that group also becomes the
// terminal's foreground group, so Ctrl-C in the interactive shell stays in
// the sandbox.
//
// bwrap gets no parent-death signal: killed half-way through setting the
// sandbox up, it can leave its child blocked for ever (before that child
// has asked to die with it). Left alone, it finishes, and the watcher in
// the sandbox (see lifeFD) then finds pestle gone and kills everything,
// after which bwrap exits.
func sysProcAttr(tty int) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if tty >= 0 {
		a.Foreground = true
		a.Ctty = tty
	}
	return a
}

// ownPIDNS puts bwrap, when pestle runs as root, at the head of a PID
// namespace of its own, so that bwrap's death, however it comes, ends
// every process it started. bwrap dies with pestle (--die-with-parent):
// killed after asking for that and before releasing its child, it leaves
// the child blocked for ever, holding the sandbox's mounts, where the
// watcher (see lifeFD) cannot reach it, since the step never starts. As
// init of the namespace, bwrap takes that child with it. An unprivileged
// caller cannot make the namespace without a user namespace of its own,
// and keeps the window. It reports whether the namespace is made; the
// pids bwrap then reports are of that namespace, not the host's.
func ownPIDNS(a *syscall.SysProcAttr, root bool) bool {
	if !root {
		return false
	}
	a.Cloneflags |= syscall.CLONE_NEWPID
	return true
}

func pidfdOpen(pid int) (int, error) {
	fd, _, errno := syscall.Syscall(sysPidfdOpen, uintptr(pid), 0, 0)
	if errno != 0 {
		return -1, errno
	}
	syscall.CloseOnExec(int(fd))
	return int(fd), nil
}

func pidfdKill(fd int) {
	_, _, _ = syscall.Syscall6(sysPidfdSendSignal, uintptr(fd), uintptr(syscall.SIGKILL), 0, 0, 0, 0)
}

// pidfdWait waits until the process behind fd has exited (the pidfd turns
// readable), for at most d.
func pidfdWait(fd int, d time.Duration) bool {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return false
	}
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return false
	}
	deadline := time.Now().Add(d)
	events := make([]syscall.EpollEvent, 1)
	for {
		left := time.Until(deadline)
		if left < 0 {
			return false
		}
		n, err := syscall.EpollWait(ep, events, int(left/time.Millisecond)+1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		return err == nil && n > 0
	}
}

func closeFD(fd int) { _ = syscall.Close(fd) }

// IsTerminal reports whether f is a terminal (what Command.Interactive's
// shell needs to be of use: on any other file it meets end-of-file at
// once and exits 0).
func IsTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

// isForegroundTTY reports whether f is a terminal whose foreground process
// group is ours, the only case where the shell can take the terminal over.
func isForegroundTTY(f *os.File) bool {
	var pgrp int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp)))
	return errno == 0 && int(pgrp) == syscall.Getpgrp()
}

// restoreForeground gives the terminal back to our process group once the
// interactive shell has exited. A background group setting the
// foreground would be stopped by SIGTTOU unless it ignores the signal.
func restoreForeground(tty int) {
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	pgrp := int32(syscall.Getpgrp())
	_, _, _ = syscall.Syscall(syscall.SYS_IOCTL, uintptr(tty), syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&pgrp)))
}
