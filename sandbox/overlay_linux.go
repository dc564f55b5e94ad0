package sandbox

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// CanOverlay reports whether this process can give a sandbox an overlay
// guest root (Spec.Overlay): it needs root (CAP_SYS_ADMIN) and overlayfs.
func CanOverlay() bool {
	if os.Geteuid() != 0 {
		return false
	}
	data, err := os.ReadFile("/proc/filesystems")
	return err == nil && strings.Contains(string(data), "\toverlay\n")
}

// mountNS is one OS thread with a private mount namespace. Work handed to
// do runs on that thread, so processes it starts inherit the namespace and
// see its mounts, while the host never does. When close ends the thread's
// goroutine, the locked thread exits and the namespace, with its mounts,
// goes away with the last process in it: a crash leaves no mount behind.
type mountNS struct {
	work chan func()
}

// newMountNS starts the thread, makes its mounts private and runs setup
// there.
func newMountNS(setup func() error) (*mountNS, error) {
	ns := &mountNS{work: make(chan func())}
	errc := make(chan error, 1)
	go ns.run(setup, errc, 0)
	if err := <-errc; err != nil {
		return nil, err
	}
	return ns, nil
}

// run is the namespace's thread. It is never the process's main thread:
// Go keeps a main thread whose locked goroutine ended instead of ending it,
// and its mount namespace would then outlive the runner.
func (ns *mountNS) run(setup func() error, errc chan<- error, depth int) {
	// Never unlocked: the thread dies with this goroutine rather than
	// going back to the scheduler with a different mount namespace.
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() && depth == 0 {
		// Hold the main thread while a new goroutine, which therefore
		// runs on another thread, takes over.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			ns.run(setup, errc, 1)
		}()
		<-locked
		runtime.UnlockOSThread()
		return
	}
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		errc <- fmt.Errorf("sandbox: private mount namespace: %w", err)
		return
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		errc <- fmt.Errorf("sandbox: private mount namespace: %w", err)
		return
	}
	if err := setup(); err != nil {
		errc <- err
		return
	}
	errc <- nil
	for f := range ns.work {
		f()
	}
}

// do runs f on the namespace's thread and waits for it.
func (ns *mountNS) do(f func()) {
	done := make(chan struct{})
	ns.work <- func() { f(); close(done) }
	<-done
}

func (ns *mountNS) close() { close(ns.work) }

// mountOverlay mounts o at root in a new private mount namespace.
func mountOverlay(root string, o *Overlay) (*mountNS, error) {
	if !CanOverlay() {
		return nil, ErrOverlayUnsupported
	}
	for _, d := range []string{o.Upper, o.Work, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: overlay: %w", err)
		}
	}
	opts := "lowerdir=" + o.Lower + ",upperdir=" + o.Upper + ",workdir=" + o.Work
	if strings.ContainsAny(o.Lower+o.Upper+o.Work, ",:") {
		return nil, errors.New("sandbox: overlay paths may not contain ',' or ':'")
	}
	return newMountNS(func() error {
		if err := unix.Mount("overlay", root, "overlay", 0, opts); err != nil {
			// For instance an upper dir on a file system overlayfs
			// cannot write to (overlayfs itself, inside a container).
			return fmt.Errorf("%w: mounting it at %s: %v", ErrOverlayUnsupported, root, err)
		}
		return nil
	})
}

// joinNet moves the runner's namespace thread (made here when the runner
// has none) into spec.JoinNet, so that bwrap starts inside that network
// namespace. When the thread cannot join it (not root), spec.JoinNet is
// dropped and bwrap goes through spec.EnterNet, or fails to start
// without either.
func (b *Bwrap) joinNet(spec *Spec) error {
	if spec.JoinNet == nil || spec.Network {
		spec.JoinNet = nil
		return nil
	}
	if b.geteuid() != 0 {
		return b.noJoin(spec, unix.EPERM)
	}
	ns := b.ns
	if ns == nil {
		var err error
		if ns, err = newMountNS(func() error { return nil }); err != nil {
			return b.noJoin(spec, err)
		}
	}
	var err error
	ns.do(func() { err = unix.Setns(int(spec.JoinNet.Fd()), unix.CLONE_NEWNET) })
	if err != nil {
		if ns != b.ns {
			ns.close()
		}
		return b.noJoin(spec, err)
	}
	b.ns = ns
	return nil
}

// noJoin falls back from spec.JoinNet to spec.EnterNet.
func (b *Bwrap) noJoin(spec *Spec, err error) error {
	spec.JoinNet = nil
	if len(spec.EnterNet) == 0 {
		return fmt.Errorf("sandbox: joining the network namespace: %w", err)
	}
	b.log.Debug("entering the network namespace through nsenter", "err", err)
	return nil
}
