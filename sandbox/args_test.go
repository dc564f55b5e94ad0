package sandbox

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// argsCases are bwrap command lines checked against testdata/args/<name>.golden.
var argsCases = []struct {
	name string
	euid int
	spec Spec
	cmd  Command
}{
	{
		name: "root-default",
		euid: 0,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws"},
		cmd:  Command{Script: "make\nmake install"},
	},
	{
		name: "not-root",
		euid: 1001,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws", TmpDir: "/b/tmp"},
		cmd:  Command{Script: "true"},
	},
	{
		name: "run-as",
		euid: 0,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws", RunAs: &User{UID: 65532, GID: 65533}},
		cmd:  Command{Script: "id"},
	},
	{
		name: "network-cache-mounts",
		euid: 0,
		spec: Spec{
			Root: "/b/root", Workspace: "/b/ws", CacheDir: "/var/cache/pestle", TmpDir: "/b/tmp",
			Mounts:   []Mount{{Source: "/src/a", Dest: "/opt/a/", ReadOnly: true}, {Source: "/src/b", Dest: "/tmp/b"}},
			Network:  true,
			Hostname: "builder",
			CapAdd:   []string{"net_bind_service", "CAP_SYS_PTRACE"},
			CapDrop:  []string{"mknod"},
		},
		cmd: Command{Script: "go build ./...", WorkDir: "src/my app"},
	},
	{
		name: "env-debug-workdir",
		euid: 0,
		spec: Spec{
			Root: "/b/root", Workspace: "/b/ws", Debug: true, SourceDateEpoch: 1712345678,
			Env: map[string]string{"GOPATH": "/home/build/.cache/go", "CC": "gcc", "PATH": "/usr/bin:/bin"},
		},
		cmd: Command{
			Script:  "echo \"$CC\" 'it''s'",
			WorkDir: "/opt/it's here",
			Env:     map[string]string{"CC": "clang", "EMPTY": ""},
		},
	},
	{
		name: "entered-netns",
		euid: 1001,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws", EnterNet: []string{"/usr/bin/nsenter", "--net=/proc/1/fd/7", "--"}},
		cmd:  Command{Script: "wget http://example.org/"},
	},
	{
		name: "joined-netns",
		euid: 0,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws", JoinNet: os.Stdin}, // any open file: args only look at whether there is one
		cmd:  Command{Script: "wget http://example.org/"},
	},
	{
		name: "interactive-shell",
		euid: 0,
		spec: Spec{Root: "/b/root", Workspace: "/b/ws"},
		cmd:  Command{Script: "make check", WorkDir: "src", Interactive: true},
	},
}

func TestArgsGolden(t *testing.T) {
	for _, c := range argsCases {
		t.Run(c.name, func(t *testing.T) {
			b := NewBwrap()
			b.geteuid = func() int { return c.euid }
			args := b.args(c.spec, c.cmd, c.cmd.Interactive)
			var got strings.Builder
			for _, a := range args {
				got.WriteString(strconv.Quote(a) + "\n")
			}
			fixture.Golden(t, filepath.Join("testdata", "args", c.name+".golden"), []byte(got.String()), *update)
		})
	}
}

// TestArgsRules checks the properties every command line must have,
// independently of the golden files.
func TestArgsRules(t *testing.T) {
	for _, c := range argsCases {
		b := NewBwrap()
		b.geteuid = func() int { return c.euid }
		a := b.Args(c.spec, c.cmd)
		s := " " + strings.Join(a, " ") + " "
		for _, must := range []string{
			" --bind " + c.spec.Root + " / ", " --bind " + c.spec.Workspace + " /home/build ",
			" --proc /proc ", " --dev /dev ", " --unshare-pid ", " --unshare-ipc ", " --unshare-uts ",
			" --die-with-parent ", " --new-session ", " --clearenv ",
			" --setenv HOME ", " --setenv PATH ", " --setenv SOURCE_DATE_EPOCH ",
		} {
			if !strings.Contains(s, must) {
				t.Errorf("%s: args lack %q", c.name, strings.TrimSpace(must))
			}
		}
		if got, want := strings.Contains(s, " --unshare-net "), !c.spec.Network && c.spec.EnterNet == nil && c.spec.JoinNet == nil; got != want {
			t.Errorf("%s: --unshare-net present=%v with Network=%v EnterNet=%v", c.name, got, c.spec.Network, c.spec.EnterNet)
		}
		if strings.Contains(s, "nsenter") {
			t.Errorf("%s: the nsenter prefix is not a bwrap argument", c.name)
		}
		userns := strings.Contains(s, " --unshare-user ")
		if want := c.euid != 0 || c.spec.RunAs != nil; userns != want {
			t.Errorf("%s: --unshare-user present=%v, want %v", c.name, userns, want)
		}
		if a[len(a)-3] != "/bin/sh" || a[len(a)-2] != "-c" {
			t.Errorf("%s: does not end with /bin/sh -c <script>: %q", c.name, a[len(a)-3:])
		}
		// --clearenv comes before every --setenv.
		if strings.Index(s, " --clearenv ") > strings.Index(s, " --setenv ") {
			t.Errorf("%s: --setenv before --clearenv", c.name)
		}
	}
}

func TestEnvironPrecedence(t *testing.T) {
	spec := Spec{SourceDateEpoch: 42, Env: map[string]string{"A": "recipe", "B": "recipe", "HOME": "/root"}}
	cmd := Command{Env: map[string]string{"B": "step", "PATH": "/step"}}
	got := map[string]string{}
	prev := ""
	for _, kv := range environ(spec, cmd) {
		if kv[0] <= prev {
			t.Errorf("not sorted: %q after %q", kv[0], prev)
		}
		prev = kv[0]
		got[kv[0]] = kv[1]
	}
	want := map[string]string{"A": "recipe", "B": "step", "HOME": "/root", "PATH": "/step", "SOURCE_DATE_EPOCH": "42"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestUserSelection(t *testing.T) {
	cases := []struct {
		euid   int
		runAs  *User
		want   User
		userns bool
	}{
		{0, nil, User{}, false},
		{1000, nil, BuildUser, true},
		{1001, nil, BuildUser, true},
		{0, &User{UID: 0, GID: 0}, User{}, false},
		{1001, &User{UID: 0, GID: 0}, User{}, true},
		{0, &User{UID: 1000, GID: 1000}, BuildUser, true},
		{0, &User{UID: 1000, GID: 0}, User{UID: 1000}, true},
	}
	for _, c := range cases {
		b := NewBwrap()
		b.geteuid = func() int { return c.euid }
		got, userns := b.user(Spec{RunAs: c.runAs})
		if got != c.want || userns != c.userns {
			t.Errorf("euid %d run-as %v: got %v userns=%v, want %v userns=%v", c.euid, c.runAs, got, userns, c.want, c.userns)
		}
	}
}

func TestWorkDirAndQuote(t *testing.T) {
	for in, want := range map[string]string{
		"": "/home/build", ".": "/home/build", "src": "/home/build/src", "src/../x/": "/home/build/x",
		"/opt": "/opt", "/opt/../etc": "/etc", "../escape": "/home/escape",
	} {
		if got := workDir(in); got != want {
			t.Errorf("workDir(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"a": "'a'", "": "''", "it's": `'it'\''s'`, "$x `y`": "'$x `y`'",
	} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCapName(t *testing.T) {
	for in, want := range map[string]string{
		"net_admin": "CAP_NET_ADMIN", "CAP_SYS_ADMIN": "CAP_SYS_ADMIN", "cap_chown": "CAP_CHOWN",
		"all": "ALL", "": "", "CAP_": "", "net admin": "", "net-admin": "",
	} {
		if got := capName(in); got != want {
			t.Errorf("capName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScript(t *testing.T) {
	got := script("/home/build/a b", "make", true)
	want := "( ( exec 5<&-; read -r _ <&4; kill -9 -1 ) & )\n" +
		"exec 4<&- 5<&-\n" +
		"set -e\n" +
		"command set -o pipefail 2>/dev/null || :\n" +
		"cd -- '/home/build/a b' 2>/dev/null || { mkdir -p -- '/home/build/a b' && cd -- '/home/build/a b'; }\n" +
		"set -x\n" +
		"make\n" +
		"exit 0\n"
	if got != want {
		t.Errorf("script:\n%s\nwant:\n%s", got, want)
	}
	if got := script("/w", "", false); strings.Contains(got, "set -x") || !strings.HasSuffix(got, "cd -- '/w'; }\nexit 0\n") {
		t.Errorf("empty body: %q", got)
	}
}
