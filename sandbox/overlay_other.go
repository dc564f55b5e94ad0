//go:build !linux

package sandbox

// CanOverlay is false off Linux.
func CanOverlay() bool { return false }

type mountNS struct{}

func (ns *mountNS) do(f func()) { f() }
func (ns *mountNS) close()      {}

func mountOverlay(string, *Overlay) (*mountNS, error) { return nil, ErrOverlayUnsupported }

// joinNet leaves the network namespace to Spec.EnterNet off Linux.
func (b *Bwrap) joinNet(spec *Spec) error {
	spec.JoinNet = nil
	return nil
}
