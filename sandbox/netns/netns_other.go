//go:build !linux

package netns

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
)

// NS is a network namespace with a listener on its loopback (Linux only).
type NS struct {
	Listener net.Listener
	Addr     string
}

// New fails off Linux.
func New(addr string) (*NS, error) {
	return nil, fmt.Errorf("netns: %w: network namespaces need Linux, this is %s", ErrUnavailable, runtime.GOOS)
}

// Enter is empty off Linux.
func (ns *NS) Enter() []string { return nil }

// Join is nil off Linux.
func (ns *NS) Join() *os.File { return nil }

// Close does nothing off Linux.
func (ns *NS) Close() error { return nil }

// Dial fails off Linux.
func (ns *NS) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	return nil, ErrUnavailable
}
