package netns

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// need skips outside CI when busybox or nsenter is missing.
func need(t *testing.T) {
	t.Helper()
	fixture.NeedFile(t, "/bin/busybox", "busybox-static")
	fixture.NeedTool(t, "nsenter")
}

// inside runs busybox with args inside ns and returns its output.
func inside(t *testing.T, ns *NS, args ...string) string {
	t.Helper()
	argv := append(ns.Enter(), append([]string{"/bin/busybox"}, args...)...)
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return string(out)
}

func checkNamespace(t *testing.T) {
	ns, err := New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the host side")
	})}
	go srv.Serve(ns.Listener)
	defer srv.Close()

	if got := inside(t, ns, "wget", "-q", "-O-", "http://"+ns.Addr+"/"); got != "hello from the host side" {
		t.Errorf("wget inside the namespace got %q", got)
	}
	dev := inside(t, ns, "cat", "/proc/net/dev")
	var ifaces []string
	for _, line := range strings.Split(dev, "\n")[2:] {
		if name, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if strings.Join(ifaces, ",") != "lo" {
		t.Errorf("namespace has interfaces %v, want only lo", ifaces)
	}
	// Dial reaches the namespace's loopback (here, the listener itself),
	// not the host's.
	c := &http.Client{Transport: &http.Transport{DialContext: ns.Dial}}
	resp, err := c.Get("http://" + ns.Addr + "/")
	if err != nil {
		t.Fatalf("Dial into the namespace: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello from the host side" {
		t.Errorf("Dial reached %q", body)
	}
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if c, err := ns.Dial(context.Background(), "tcp", host.Addr().String()); err == nil {
		c.Close()
		t.Errorf("Dial reached a listener of the host's loopback")
	}
	// Nothing else listens on the namespace's loopback.
	argv := append(ns.Enter(), "/bin/busybox", "wget", "-q", "-O-", "http://127.0.0.1:1/")
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err == nil {
		t.Errorf("reached port 1 inside the namespace: %s", out)
	}
}

func TestNamespaceReachesListenerOnly(t *testing.T) {
	need(t)
	checkNamespace(t)
}

const asUserEnv = "PESTLE_NETNS_TEST_AS_USER"

// TestNamespaceAsUnprivilegedUser runs the same check as nobody, through a
// user namespace. Run as root, the test binary re-runs itself as nobody.
func TestNamespaceAsUnprivilegedUser(t *testing.T) {
	need(t)
	if os.Getenv(asUserEnv) != "" {
		if os.Geteuid() == 0 {
			t.Fatal("still root")
		}
		checkNamespace(t)
		return
	}
	fixture.NeedRoot(t, "to re-run as nobody; an unprivileged run is covered by the other test")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pestle-netns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "netns.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin, "-test.run=^TestNamespaceAsUnprivilegedUser$", "-test.count=1", "-test.v")
	c.Env = append(os.Environ(), asUserEnv+"=1", "HOME="+dir)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// TestNamespaceThroughHelperAsRoot covers, as root, the helper program
// that unprivileged users get; root's own namespaces are made on a thread.
func TestNamespaceThroughHelperAsRoot(t *testing.T) {
	need(t)
	fixture.NeedRoot(t, "root makes the namespace on a thread unless told otherwise")
	inThread = func() bool { return false }
	t.Cleanup(func() { inThread = func() bool { return os.Geteuid() == 0 } })
	checkNamespace(t)
	ns, err := New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	if ns.Join() != nil {
		t.Error("a namespace held by the helper offers a descriptor to join")
	}
}

func TestJoinIsNilAfterClose(t *testing.T) {
	need(t)
	ns, err := New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.Join() != nil; got != (os.Geteuid() == 0) {
		t.Errorf("Join offered=%v as uid %d", got, os.Geteuid())
	}
	ns.Close()
	if ns.Join() != nil {
		t.Error("Join offers a descriptor after Close")
	}
	if _, err := ns.Dial(context.Background(), "tcp", ns.Addr); err == nil {
		t.Error("Dial works after Close")
	}
}
