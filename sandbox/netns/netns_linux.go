package netns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv names the variable that turns this program into the helper;
// its value is the address to listen on.
const helperEnv = "PESTLE_NETNS_HELPER"

func init() {
	if addr := os.Getenv(helperEnv); addr != "" {
		os.Exit(helper(addr))
	}
}

// NS is a network namespace with a listener on its loopback.
type NS struct {
	// Listener accepts the connections made inside the namespace to
	// Addr. Close closes it.
	Listener net.Listener
	// Addr is where the listener listens, inside the namespace.
	Addr  string
	files []*os.File // namespace descriptors: user (optional), net
	enter []string
	ctl   *os.File  // socket to the helper, which dials for Dial
	cmd   *exec.Cmd // the helper
	mu    sync.Mutex
	// Made on a thread of this process instead (see thread_linux.go):
	dials chan dialReq // to the namespace's thread, which dials for Dial
	join  *os.File     // the namespace, for Join
}

// New makes a network namespace whose loopback is up and has a listener
// on addr (e.g. "127.0.0.1:3128": the namespace is private, so a fixed
// port never clashes; port 0 picks one).
func New(addr string) (*NS, error) {
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return nil, fmt.Errorf("netns: %w: nsenter not found (apt-get install util-linux)", ErrUnavailable)
	}
	if inThread() {
		return newInThread(nsenter, addr)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("netns: %w: %v", ErrUnavailable, err)
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	ours := os.NewFile(uintptr(pair[0]), "netns-parent")
	theirs := os.NewFile(uintptr(pair[1]), "netns-helper")

	user := os.Geteuid() != 0
	cmd := exec.Command(self)
	cmd.Args = []string{"pestle-netns"}
	cmd.Env = []string{helperEnv + "=" + addr}
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	if user {
		cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		cmd.SysProcAttr.GidMappingsEnableSetgroups = false
	}
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, fmt.Errorf("netns: %w: starting the namespace helper: %v", ErrUnavailable, err)
	}
	ns, err := receive(ours, cmd.Process.Pid, user)
	if err != nil {
		ours.Close() // the helper exits when it sees this
		if werr := cmd.Wait(); werr != nil {
			err = fmt.Errorf("%w (helper: %v)", err, werr)
		}
		return nil, err
	}
	ns.ctl, ns.cmd = ours, cmd
	ns.Addr = ns.Listener.Addr().String()
	self64 := strconv.Itoa(os.Getpid())
	ns.enter = []string{nsenter}
	if user {
		ns.enter = append(ns.enter, "--user=/proc/"+self64+"/fd/"+strconv.Itoa(int(ns.files[0].Fd())), "--preserve-credentials")
	}
	ns.enter = append(ns.enter, "--net=/proc/"+self64+"/fd/"+strconv.Itoa(int(ns.files[len(ns.files)-1].Fd())), "--")
	return ns, nil
}

// receive reads the helper's answer: the listener's descriptor, or an
// error message. While the helper waits, its namespaces are opened.
func receive(sock *os.File, pid int, user bool) (*NS, error) {
	buf := make([]byte, 1024)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netns: %w: reading from the namespace helper: %v", ErrUnavailable, err)
	}
	fd := rights(oob[:oobn])
	if fd < 0 {
		msg := string(buf[:n])
		if msg == "" {
			msg = "the helper exited without an answer"
		}
		return nil, fmt.Errorf("netns: %w: %s", ErrUnavailable, msg)
	}
	lf := os.NewFile(uintptr(fd), "netns-listener")
	l, err := net.FileListener(lf)
	lf.Close()
	if err != nil {
		return nil, fmt.Errorf("netns: listener: %w", err)
	}
	ns := &NS{Listener: l}
	kinds := []string{"net"}
	if user {
		kinds = []string{"user", "net"}
	}
	for _, k := range kinds {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/" + k)
		if err != nil {
			ns.Close()
			return nil, fmt.Errorf("netns: %w: opening the %s namespace: %v", ErrUnavailable, k, err)
		}
		ns.files = append(ns.files, f)
	}
	return ns, nil
}

// Enter is the command prefix that runs a program inside the namespace:
// append the program and its arguments.
func (ns *NS) Enter() []string { return append([]string(nil), ns.enter...) }

// Dial connects to addr from inside the namespace (through the helper,
// which stays there for this): how the host side reaches a server a step
// started on the namespace's loopback.
func (ns *NS) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if ns.cmd == nil {
		return ns.dialThread(ctx, network, addr)
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.ctl == nil {
		return nil, net.ErrClosed
	}
	if _, err := ns.ctl.Write([]byte(network + " " + addr)); err != nil {
		return nil, fmt.Errorf("netns: dial %s: %w", addr, err)
	}
	buf := make([]byte, 1024)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(ns.ctl.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netns: dial %s: %w", addr, err)
	}
	fd := rights(oob[:oobn])
	if fd < 0 {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New(string(buf[:n]))}
	}
	f := os.NewFile(uintptr(fd), "netns-conn")
	defer f.Close()
	return net.FileConn(f)
}

// rights returns the one descriptor a control message carries, or -1.
func rights(oob []byte) int {
	if msgs, err := unix.ParseSocketControlMessage(oob); err == nil && len(msgs) == 1 {
		if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
			return fds[0]
		}
	}
	return -1
}

// Close closes the listener, ends the helper and lets the namespace go
// once no process is left in it.
func (ns *NS) Close() error {
	var errs []error
	ns.mu.Lock()
	if ns.ctl != nil {
		ns.ctl.Close()
		ns.ctl = nil
		errs = append(errs, ns.cmd.Wait())
	}
	if ns.dials != nil {
		close(ns.dials) // the thread ends, and leaves the namespace
		ns.dials = nil
	}
	ns.join = nil
	ns.mu.Unlock()
	if ns.Listener != nil {
		errs = append(errs, ns.Listener.Close())
	}
	for _, f := range ns.files {
		errs = append(errs, f.Close())
	}
	ns.files = nil
	return errors.Join(errs...)
}

// helper runs in the new namespace: loopback up, listen, hand the
// listener to the parent (fd 3), then dial for it until it lets go.
func helper(addr string) int {
	sock := os.NewFile(3, "netns-parent")
	fail := func(err error) int {
		_, _ = sock.Write([]byte(err.Error()))
		return 1
	}
	if err := loopbackUp(); err != nil {
		return fail(fmt.Errorf("bringing lo up: %w", err))
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fail(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		return fail(err)
	}
	if err := unix.Sendmsg(int(sock.Fd()), []byte{0}, unix.UnixRights(int(f.Fd())), nil, 0); err != nil {
		return fail(err)
	}
	f.Close()
	l.Close()
	buf := make([]byte, 1024)
	for {
		n, err := sock.Read(buf)
		if err != nil || n == 0 {
			return 0 // the parent let go
		}
		network, addr, _ := strings.Cut(string(buf[:n]), " ")
		c, err := net.DialTimeout(network, addr, dialTimeout)
		if err != nil {
			_, _ = sock.Write([]byte(err.Error()))
			continue
		}
		cf, err := c.(*net.TCPConn).File()
		c.Close()
		if err != nil {
			_, _ = sock.Write([]byte(err.Error()))
			continue
		}
		err = unix.Sendmsg(int(sock.Fd()), []byte{0}, unix.UnixRights(int(cf.Fd())), nil, 0)
		cf.Close()
		if err != nil {
			return 1
		}
	}
}

// dialTimeout bounds a dial inside the namespace (to its own loopback,
// so it answers at once unless the server is stuck).
const dialTimeout = 10 * time.Second

// loopbackUp sets the IFF_UP flag of lo.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
