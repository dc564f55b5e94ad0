package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// As root, the namespace is made without the helper program: one OS
// thread of this process moves into a new network namespace and stays
// there until Close. It opens the listener, makes the connections of
// Dial, and its descriptor of the namespace is what Join returns, so a
// sandbox can start inside it (setns) without nsenter. Starting the
// helper, a second copy of this program, is most of what a namespace
// costs otherwise.

// inThread tells New to make the namespace on a thread of this process;
// tests turn it off to cover the helper as root too.
var inThread = func() bool { return os.Geteuid() == 0 }

// dialReq is one Dial handed to the namespace's thread.
type dialReq struct {
	network, addr string
	reply         chan dialResult
}

type dialResult struct {
	conn net.Conn
	err  error
}

// newInThread makes the namespace on a new locked thread.
func newInThread(nsenter, addr string) (*NS, error) {
	dials := make(chan dialReq)
	ready := make(chan error, 1)
	ns := &NS{dials: dials}
	go ns.thread(addr, dials, ready, 0)
	if err := <-ready; err != nil {
		return nil, err
	}
	ns.Addr = ns.Listener.Addr().String()
	f := ns.files[0]
	ns.join = f
	ns.enter = []string{nsenter, "--net=/proc/" + strconv.Itoa(os.Getpid()) + "/fd/" + strconv.Itoa(int(f.Fd())), "--"}
	return ns, nil
}

// thread is the namespace's thread: it never returns to the scheduler,
// so it dies with this goroutine (see sandbox.mountNS for why it must not
// be the main thread).
func (ns *NS) thread(addr string, dials <-chan dialReq, ready chan<- error, depth int) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() && depth == 0 {
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			ns.thread(addr, dials, ready, 1)
		}()
		<-locked
		runtime.UnlockOSThread()
		return
	}
	if err := ns.enterNew(addr); err != nil {
		ready <- err
		return
	}
	ready <- nil
	for req := range dials {
		c, err := net.DialTimeout(req.network, req.addr, dialTimeout)
		req.reply <- dialResult{c, err}
	}
}

// enterNew moves the calling (locked) thread into a new network
// namespace, brings its loopback up and opens the listener there.
func (ns *NS) enterNew(addr string) error {
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("netns: %w: %v", ErrUnavailable, err)
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("netns: %w: bringing lo up: %v", ErrUnavailable, err)
	}
	f, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return fmt.Errorf("netns: %w: %v", ErrUnavailable, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		f.Close()
		return fmt.Errorf("netns: listener: %w", err)
	}
	ns.Listener, ns.files = l, []*os.File{f}
	return nil
}

// dialThread dials from the namespace's thread.
func (ns *NS) dialThread(ctx context.Context, network, addr string) (net.Conn, error) {
	reply := make(chan dialResult, 1)
	ns.mu.Lock()
	if ns.dials == nil {
		ns.mu.Unlock()
		return nil, net.ErrClosed
	}
	select {
	case ns.dials <- dialReq{network, addr, reply}:
	case <-ctx.Done():
		ns.mu.Unlock()
		return nil, ctx.Err()
	}
	ns.mu.Unlock()
	r := <-reply
	if r.err != nil {
		var oe *net.OpError
		if !errors.As(r.err, &oe) {
			r.err = &net.OpError{Op: "dial", Net: network, Err: r.err}
		}
	}
	return r.conn, r.err
}

// Join is an open descriptor of the namespace when the caller may enter
// it itself (setns, which needs root): a sandbox then starts inside it
// without nsenter. It is nil when only Enter works, and after Close.
func (ns *NS) Join() *os.File {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.join
}
