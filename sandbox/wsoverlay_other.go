//go:build !linux

package sandbox

func (b *Bwrap) wsAcquire(*mountNS, *Spec) error { return ErrOverlayUnsupported }
func (b *Bwrap) wsRelease(*mountNS, *Spec)       {}
func (b *Bwrap) newWorkspaceNS(ns *mountNS, _ *Spec) (*mountNS, error) {
	return ns, ErrOverlayUnsupported
}
