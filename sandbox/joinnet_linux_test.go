package sandbox

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/sandbox/netns"
)

// joinedNS returns a private network namespace whose listener answers
// HTTP with a greeting, and that can be joined without nsenter.
func joinedNS(t *testing.T) *netns.NS {
	t.Helper()
	fixture.NeedRoot(t, "joining a network namespace (setns) needs CAP_SYS_ADMIN")
	fixture.NeedTool(t, "nsenter")
	ns, err := netns.New("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	if ns.Join() == nil {
		t.Fatal("as root, the namespace has no descriptor to join")
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from the namespace")
	})}
	go srv.Serve(ns.Listener)
	t.Cleanup(func() { srv.Close() })
	return ns
}

func TestRunJoinsTheNetworkNamespace(t *testing.T) {
	ns := joinedNS(t)
	// An EnterNet that cannot run proves bwrap did not go through it.
	b, _ := started(t, func(s *Spec) {
		s.JoinNet, s.EnterNet = ns.Join(), []string{"/bin/false", "--"}
	})
	out := mustRun(t, b, Command{Script: "wget -q -O- http://" + ns.Addr + "/; echo; cat /proc/net/dev"})
	greeting, dev, _ := strings.Cut(out, "\n")
	if greeting != "hello from the namespace" {
		t.Errorf("the step got %q from the namespace's listener", greeting)
	}
	var ifaces []string
	for _, line := range strings.Split(dev, "\n")[2:] {
		if name, _, ok := strings.Cut(line, ":"); ok {
			ifaces = append(ifaces, strings.TrimSpace(name))
		}
	}
	if strings.Join(ifaces, ",") != "lo" {
		t.Errorf("the step sees interfaces %v, want only the namespace's lo", ifaces)
	}
	// Every step of the runner is in the same namespace.
	if out := mustRun(t, b, Command{Script: "wget -q -O- http://" + ns.Addr + "/"}); out != "hello from the namespace" {
		t.Errorf("a second step got %q", out)
	}
}

func TestStartWithoutRightsToJoinFallsBackToEnterNet(t *testing.T) {
	ns := joinedNS(t)
	spec := Spec{Root: guestRoot(t), Workspace: t.TempDir(), JoinNet: ns.Join()}
	b := NewBwrap()
	b.geteuid = func() int { return 1000 }
	if err := b.Start(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "joining the network namespace") {
		b.Close()
		t.Fatalf("Start without rights to join and without EnterNet: %v, want an error", err)
	}
	if _, err := os.Stat(spec.Root); err != nil {
		t.Fatal(err)
	}
	b = NewBwrap()
	b.geteuid = func() int { return 1000 }
	spec.EnterNet = []string{"/bin/false", "--"}
	if err := b.Start(context.Background(), spec); err != nil {
		t.Fatalf("Start with EnterNet to fall back to: %v", err)
	}
	defer b.Close()
	if b.spec.JoinNet != nil || b.ns != nil {
		t.Errorf("the runner kept JoinNet (%v) or a namespace thread (%v) it could not use", b.spec.JoinNet, b.ns)
	}
}
