package sandbox

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// overlayOptions are the mount options of o, refusing paths overlayfs
// would misread.
func overlayOptions(o *Overlay) (string, error) {
	if strings.ContainsAny(o.Lower+o.Upper+o.Work, ",:") {
		return "", errors.New("sandbox: overlay paths may not contain ',' or ':'")
	}
	return "lowerdir=" + o.Lower + ",upperdir=" + o.Upper + ",workdir=" + o.Work, nil
}

// wsAcquire mounts the workspace overlay at spec.Workspace in the
// runner's mount namespace when no running step holds it yet. Between
// steps nothing is mounted, so the caller may change the upper layer
// (overlayfs leaves changes to a mounted layer undefined).
func (b *Bwrap) wsAcquire(ns *mountNS, spec *Spec) error {
	b.wsMu.Lock()
	defer b.wsMu.Unlock()
	if b.wsUsers > 0 {
		b.wsUsers++
		return nil
	}
	o := spec.WorkspaceOverlay
	opts, err := overlayOptions(o)
	if err != nil {
		return err
	}
	for _, d := range []string{o.Upper, o.Work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("sandbox: workspace overlay: %w", err)
		}
	}
	ns.do(func() { err = unix.Mount("overlay", spec.Workspace, "overlay", 0, opts) })
	if err != nil {
		return fmt.Errorf("%w: mounting the workspace at %s: %v", ErrOverlayUnsupported, spec.Workspace, err)
	}
	b.wsUsers = 1
	return nil
}

// wsRelease unmounts the workspace overlay when the last step holding it
// ends. Every process of the step is gone by then; should one still hold
// the mount, it is detached and goes away with that process.
func (b *Bwrap) wsRelease(ns *mountNS, spec *Spec) {
	b.wsMu.Lock()
	defer b.wsMu.Unlock()
	if b.wsUsers--; b.wsUsers > 0 {
		return
	}
	ns.do(func() {
		if err := unix.Unmount(spec.Workspace, 0); err != nil {
			_ = unix.Unmount(spec.Workspace, unix.MNT_DETACH)
		}
	})
}

// newWorkspaceNS returns ns, or a new private mount namespace for the
// workspace overlay when the guest root needs none, and checks once that
// the overlay mounts.
func (b *Bwrap) newWorkspaceNS(ns *mountNS, spec *Spec) (*mountNS, error) {
	if !CanOverlay() {
		return nil, ErrOverlayUnsupported
	}
	if ns == nil {
		var err error
		if ns, err = newMountNS(func() error { return nil }); err != nil {
			return nil, err
		}
	}
	if err := b.wsAcquire(ns, spec); err != nil {
		return ns, err
	}
	b.wsRelease(ns, spec)
	return ns, nil
}
