package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRunWritesWorkspace(t *testing.T) {
	b, spec := started(t, nil)
	mustRun(t, b, Command{Script: "echo built > out.txt\nmkdir -p melange-out/hello/usr/bin\n"})
	got, err := os.ReadFile(filepath.Join(spec.Workspace, "out.txt"))
	if err != nil || string(got) != "built\n" {
		t.Fatalf("workspace file: %q, %v", got, err)
	}
	if fi, err := os.Stat(filepath.Join(spec.Workspace, "melange-out/hello/usr/bin")); err != nil || !fi.IsDir() {
		t.Fatalf("workspace dir: %v", err)
	}
}

func TestRunEnvironment(t *testing.T) {
	t.Setenv("PESTLE_HOST_ONLY", "leaked")
	b, _ := started(t, func(s *Spec) {
		s.SourceDateEpoch = 1700000000
		s.Env = map[string]string{"RECIPE": "r", "SHARED": "from-recipe", "GOPATH": "/home/build/.cache/go"}
	})
	out := mustRun(t, b, Command{
		Script: "env",
		Env:    map[string]string{"STEP": "s", "SHARED": "from-step", "WITH_SPACE": "a b  'c'"},
	})
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	want := map[string]string{
		"HOME":              "/home/build",
		"PATH":              DefaultPath,
		"SOURCE_DATE_EPOCH": "1700000000",
		"RECIPE":            "r",
		"GOPATH":            "/home/build/.cache/go",
		"STEP":              "s",
		"SHARED":            "from-step",
		"WITH_SPACE":        "a b  'c'",
		"PWD":               "/home/build",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	// Only the shell's own variables may come on top.
	for k := range env {
		if _, ok := want[k]; !ok && k != "SHLVL" && k != "OLDPWD" {
			t.Errorf("unexpected variable %s=%q (host environment leaking?)", k, env[k])
		}
	}
}

func TestRunRecipeEnvOverridesDefaults(t *testing.T) {
	b, _ := started(t, func(s *Spec) {
		s.Env = map[string]string{"PATH": "/bin", "HOME": "/root"}
	})
	out := mustRun(t, b, Command{Script: `echo "$PATH $HOME $SOURCE_DATE_EPOCH"`})
	if out != "/bin /root 0\n" {
		t.Fatalf("got %q", out)
	}
}

func TestRunWorkDir(t *testing.T) {
	b, spec := started(t, nil)
	cases := []struct{ workdir, guest string }{
		{"", "/home/build"},
		{"src/sub dir", "/home/build/src/sub dir"},
		{"it's $HOME `x`", "/home/build/it's $HOME `x`"},
		{"/home/build/abs", "/home/build/abs"},
		{"/opt/made/here", "/opt/made/here"},
		{"a/../b", "/home/build/b"},
	}
	for _, c := range cases {
		out := mustRun(t, b, Command{Script: "pwd", WorkDir: c.workdir})
		if out != c.guest+"\n" {
			t.Errorf("workdir %q: pwd = %q, want %q", c.workdir, out, c.guest)
		}
	}
	if _, err := os.Stat(filepath.Join(spec.Workspace, "src", "sub dir")); err != nil {
		t.Errorf("relative workdir not created in the workspace: %v", err)
	}
	// The guest root is read-write: /opt/made/here landed in it.
	if _, err := os.Stat(filepath.Join(spec.Root, "opt", "made", "here")); err != nil {
		t.Errorf("absolute workdir not created in the guest root: %v", err)
	}
}

func TestRunExitCode(t *testing.T) {
	b, _ := started(t, nil)
	for _, code := range []int{1, 2, 42, 255} {
		_, _, err := run(t, b, Command{Script: fmt.Sprintf("exit %d", code)})
		if e := asExit(t, err); e.Code != code {
			t.Errorf("exit %d: got code %d", code, e.Code)
		}
	}
	_, _, err := run(t, b, Command{Script: "kill -9 $$"})
	if e := asExit(t, err); e.Code != 128+9 {
		t.Errorf("killed by SIGKILL: code %d, want 137", e.Code)
	}
	// A body whose last command is a false test still succeeds.
	mustRun(t, b, Command{Script: "[ -e /nonexistent ] && echo never"})
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	b, spec := started(t, nil)
	out, _, err := run(t, b, Command{Script: "echo one\nfalse\necho two > two.txt\necho two\n"})
	if e := asExit(t, err); e.Code != 1 {
		t.Fatalf("code %d", e.Code)
	}
	if out != "one\n" {
		t.Errorf("stdout %q: the script went on after false", out)
	}
	if _, err := os.Stat(filepath.Join(spec.Workspace, "two.txt")); err == nil {
		t.Error("two.txt exists: the script went on after false")
	}
	// pipefail: a failing element of a pipeline fails the step.
	out, _, err = run(t, b, Command{Script: "false | cat\necho after\n"})
	asExit(t, err)
	if out != "" {
		t.Errorf("pipefail: got %q", out)
	}
}

func TestRunDebugTraces(t *testing.T) {
	b, _ := started(t, func(s *Spec) { s.Debug = true })
	_, errOut, err := run(t, b, Command{Script: "echo traced"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "+ echo traced") {
		t.Errorf("stderr lacks the trace: %q", errOut)
	}
}

func TestRunIsolation(t *testing.T) {
	b, _ := started(t, nil)
	out := mustRun(t, b, Command{Script: "hostname; echo $$; ls /proc | grep -c '^[0-9]' ; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '"})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("output %q", out)
	}
	if lines[0] != DefaultHostname {
		t.Errorf("hostname %q, want %q", lines[0], DefaultHostname)
	}
	// bwrap's init is pid 1 and the shell pid 2: a PID namespace with
	// only the sandbox's processes (init, sh, ls, grep).
	if n, _ := strconv.Atoi(lines[2]); n > 8 {
		t.Errorf("%d processes visible in /proc: not a fresh PID namespace", n)
	}
	if lines[3] != "lo" {
		t.Errorf("network interfaces %q, want only lo", lines[3])
	}
}

func TestRunUser(t *testing.T) {
	wantDefault := "0 0"
	if os.Geteuid() != 0 {
		wantDefault = "1000 1000"
	}
	cases := []struct {
		name  string
		runAs *User
		euid  int
		want  string
	}{
		{"default", nil, os.Geteuid(), wantDefault},
		{"run-as 1000", &BuildUser, os.Geteuid(), "1000 1000"},
		{"run-as 1234:2345", &User{UID: 1234, GID: 2345}, os.Geteuid(), "1234 2345"},
		// The path taken when the caller is not root: uid/gid 1000 in a
		// user namespace.
		{"not root", nil, 1000, "1000 1000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, spec := started(t, func(s *Spec) { s.RunAs = c.runAs })
			b.geteuid = func() int { return c.euid }
			out := mustRun(t, b, Command{Script: "echo $(id -u) $(id -g)\necho x > mine.txt"})
			if strings.TrimSpace(out) != c.want {
				t.Errorf("id: %q, want %q", out, c.want)
			}
			if _, err := os.Stat(filepath.Join(spec.Workspace, "mine.txt")); err != nil {
				t.Errorf("cannot write the workspace as %s: %v", c.want, err)
			}
		})
	}
}

func TestRunNetwork(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			data, _ := io.ReadAll(c)
			c.Close()
			got <- string(data)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	connect := fmt.Sprintf("echo hello-from-sandbox | nc 127.0.0.1 %d", port)

	off, _ := started(t, nil)
	_, _, err = run(t, off, Command{Script: connect})
	asExit(t, err)

	on, _ := started(t, func(s *Spec) { s.Network = true })
	mustRun(t, on, Command{Script: connect})
	if msg := <-got; msg != "hello-from-sandbox\n" {
		t.Errorf("listener got %q", msg)
	}
	select {
	case msg := <-got:
		t.Errorf("the sandbox without network reached the host: %q", msg)
	default:
	}
}

func TestRunNetworkHint(t *testing.T) {
	b, _ := started(t, nil)
	_, _, err := run(t, b, Command{Script: "wget -q -O- http://example.com/"})
	if e := asExit(t, err); !e.NetworkHint || !strings.Contains(e.Error(), "no network") {
		t.Errorf("want a network hint, got %v (hint %v)", e, e.NetworkHint)
	}
	_, _, err = run(t, b, Command{Script: "echo plain failure >&2; exit 1"})
	if e := asExit(t, err); e.NetworkHint {
		t.Errorf("network hint on an unrelated failure: %v", e)
	}
}

func TestRunMounts(t *testing.T) {
	cache, ro, rw := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(ro, "data"), []byte("read me\n"), 0o644)
	b, spec := started(t, func(s *Spec) {
		s.CacheDir = cache
		s.Mounts = []Mount{{Source: ro, Dest: "/srv/ro", ReadOnly: true}, {Source: rw, Dest: "/srv/rw/"}}
	})
	out := mustRun(t, b, Command{Script: "echo c > /var/cache/melange/c\necho w > /srv/rw/w\ncat /srv/ro/data"})
	if out != "read me\n" {
		t.Errorf("read-only mount: %q", out)
	}
	for _, p := range []string{filepath.Join(cache, "c"), filepath.Join(rw, "w")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("write through mount: %v", err)
		}
	}
	_, _, err := run(t, b, Command{Script: "echo x > /srv/ro/new"})
	asExit(t, err)

	// A cache dir that does not exist is not mounted.
	b2, _ := started(t, func(s *Spec) { s.CacheDir = filepath.Join(spec.Workspace, "no-such-cache") })
	if out := mustRun(t, b2, Command{Script: "test -e /var/cache/melange && echo present || echo absent"}); out != "absent\n" {
		t.Errorf("missing cache dir: %q", out)
	}
}

func TestRunTmpSharedAcrossSteps(t *testing.T) {
	b, _ := started(t, nil)
	mustRun(t, b, Command{Script: "echo kept > /tmp/note"})
	if out := mustRun(t, b, Command{Script: "cat /tmp/note"}); out != "kept\n" {
		t.Errorf("/tmp between steps: %q", out)
	}
	tmp := b.ownTmp
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("Close left the sandbox /tmp %s behind: %v", tmp, err)
	}
	// A new build starts with an empty /tmp.
	if err := b.Start(context.Background(), Spec{Root: guestRoot(t), Workspace: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, b, Command{Script: "ls -A /tmp"}); out != "" {
		t.Errorf("fresh /tmp not empty: %q", out)
	}
}

func TestRunStdinAndStreaming(t *testing.T) {
	b, _ := started(t, nil)
	var sink bytes.Buffer
	out, errOut := PrefixWriter(&sink, "out| "), PrefixWriter(&sink, "err| ")
	err := b.Run(context.Background(), Command{
		Script: "read line\necho got $line\necho warn >&2\nprintf partial",
		Stdin:  strings.NewReader("input\n"),
		Stdout: out, Stderr: errOut,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.String()
	for _, want := range []string{"out| got input\n", "err| warn\n", "out| partial\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("output %q lacks %q", got, want)
		}
	}
}

func TestRunSetupError(t *testing.T) {
	src := t.TempDir()
	b, _ := started(t, func(s *Spec) { s.Mounts = []Mount{{Source: src, Dest: "/srv"}} })
	if err := os.Remove(src); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(t, b, Command{Script: "true"})
	var se *SetupError
	if !errors.As(err, &se) {
		t.Fatalf("want *SetupError, got %T: %v", err, err)
	}
	if !strings.Contains(se.Message, src) || errors.Is(err, ErrUserNamespaces) {
		t.Errorf("setup error %v", se)
	}
}

func TestStartErrors(t *testing.T) {
	needBwrap(t)
	root, ws := guestRoot(t), t.TempDir()
	empty := t.TempDir()
	cases := []struct {
		name string
		spec Spec
		want string
	}{
		{"relative root", Spec{Root: "root", Workspace: ws}, "Spec.Root"},
		{"no workspace", Spec{Root: root}, "Spec.Workspace"},
		{"root without sh", Spec{Root: empty, Workspace: ws}, "has no /bin/sh"},
		{"root missing", Spec{Root: filepath.Join(empty, "nope"), Workspace: ws}, "not a directory"},
		{"bad mount dest", Spec{Root: root, Workspace: ws, Mounts: []Mount{{Source: ws, Dest: "/"}}}, "Mounts[0].Dest"},
		{"missing mount source", Spec{Root: root, Workspace: ws, Mounts: []Mount{{Source: filepath.Join(empty, "x"), Dest: "/x"}}}, "Mounts[0]"},
		{"bad env", Spec{Root: root, Workspace: ws, Env: map[string]string{"A=B": "x"}}, "Spec.Env"},
		{"bad cap", Spec{Root: root, Workspace: ws, CapAdd: []string{"net admin"}}, "capability"},
		{"cache is a file", Spec{Root: root, Workspace: ws, CacheDir: filepath.Join(root, "bin", "busybox")}, "cache dir"},
	}
	for _, c := range cases {
		err := NewBwrap().Start(context.Background(), c.spec)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error about %q", c.name, err, c.want)
		}
	}
	b := NewBwrap()
	if err := b.Run(context.Background(), Command{Script: "true"}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Run before Start: %v", err)
	}
	if err := b.Start(context.Background(), Spec{Root: root, Workspace: ws}); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Start(context.Background(), Spec{Root: root, Workspace: ws}); err == nil {
		t.Error("second Start succeeded")
	}
	if err := b.Run(context.Background(), Command{Script: "true", Interactive: true}); err == nil {
		t.Error("Interactive without Stdin accepted")
	}
}

func TestStartBwrapMissing(t *testing.T) {
	b := NewBwrap(WithBinary(filepath.Join(t.TempDir(), "no-bwrap")))
	err := b.Start(context.Background(), Spec{Root: guestRoot(t), Workspace: t.TempDir()})
	if !errors.Is(err, ErrBwrapMissing) {
		t.Fatalf("want ErrBwrapMissing, got %v", err)
	}
}

// BenchmarkBwrapStartRun measures one sandbox: bwrap start plus `sh -c true`.
func BenchmarkBwrapStartRun(b *testing.B) {
	r, _ := started(b, nil)
	ctx := context.Background()
	var times []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := r.Run(ctx, Command{Script: "true"}); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(times[0].Microseconds())/1000, "min-ms")
}

func TestStartRunsLdconfig(t *testing.T) {
	b, spec := started(t, func(s *Spec) {
		os.MkdirAll(filepath.Join(s.Root, "sbin"), 0o755)
		os.WriteFile(filepath.Join(s.Root, "sbin", "ldconfig"), []byte("#!/bin/sh\necho $(id -u) > /home/build/ldconfig.ran\n"), 0o755)
	})
	_ = b
	if _, err := os.Stat(filepath.Join(spec.Workspace, "ldconfig.ran")); err != nil {
		t.Fatalf("Start did not run /sbin/ldconfig: %v", err)
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	b, spec := started(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.Run(ctx, Command{Script: "touch ran"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := os.Stat(filepath.Join(spec.Workspace, "ran")); err == nil {
		t.Error("the step ran despite a cancelled context")
	}
}
