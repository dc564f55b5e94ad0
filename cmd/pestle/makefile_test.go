package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/netrec"
)

// makefileCommands reads testdata/makefile/commands.txt: name → argv.
func makefileCommands(t *testing.T) map[string][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "makefile", "commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	name := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "["):
			name = strings.Trim(line, "[]")
		default:
			argv, err := shellWords(line)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out[name] = argv
		}
	}
	return out
}

// shellWords splits a command line as sh does for the quoting make emits:
// blanks separate words, double and single quotes group (and vanish).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// captured is what build or test would have run.
type captured struct {
	opts   build.Options
	arches []string
	only   string
	ran    string
}

// runCaptured executes argv (without the program name) through the real
// command tree, with build and test replaced by a recorder.
func runCaptured(t *testing.T, argv []string) (captured, string, error) {
	t.Helper()
	var got captured
	oldB, oldT := runBuild, runTests
	runBuild = func(_ *cobra.Command, o build.Options, arches []string) error {
		got = captured{opts: o, arches: arches, ran: "build"}
		return nil
	}
	runTests = func(_ *cobra.Command, o build.Options, only string, arches []string) error {
		got = captured{opts: o, arches: arches, only: only, ran: "test"}
		return nil
	}
	defer func() { runBuild, runTests = oldB, oldT }()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(argv)
	err := root.Execute()
	return got, out.String(), err
}

func TestMakefileBuildCommandLines(t *testing.T) {
	cmds := makefileCommands(t)
	wolfiKey := "https://packages.wolfi.dev/os/wolfi-signing.rsa.pub"
	common := func(arch string) build.Options {
		return build.Options{
			EnvOptions: build.EnvOptions{
				Recipe:       "iptables.yaml",
				SourceDir:    "./iptables/",
				CacheDir:     "/tmp/melange-cache",
				ApkCacheDir:  "/tmp/melange-cache",
				PipelineDirs: []string{"./pipelines/"},
				EnvFiles:     []string{"build-" + arch + ".env", "build-common.env"},
				Packages:     []string{"busybox"},
				Keyring:      []string{"local-melange.rsa.pub", wolfiKey},
				Repositories: []string{"/tmp/os/packages", "https://packages.wolfi.dev/os"},
			},
			SigningKey: "local-melange.rsa",
			OutDir:     "./packages/",
			Namespace:  "wolfi",
			Origin:     build.RecipeOrigin{RepoURL: "https://github.com/wolfi-dev/os", License: "Apache-2.0"},
		}
	}
	debug := common("x86_64")
	debug.Debug, debug.Interactive = true, true
	debug.Packages = []string{"apk-tools", "busybox"}
	boot := common("aarch64")
	boot.Keyring = []string{"local-melange.rsa.pub", "https://packages.wolfi.dev/bootstrap/stage3/wolfi-signing.rsa.pub"}
	boot.Repositories = []string{"/tmp/os/packages", "https://packages.wolfi.dev/bootstrap/stage3"}
	for _, tc := range []struct {
		name  string
		arch  string
		wantO build.Options
	}{
		{"build", "x86_64", common("x86_64")},
		{"debug", "x86_64", debug},
		{"build-aarch64-lint-bootstrap", "aarch64", boot},
	} {
		t.Run(tc.name, func(t *testing.T) {
			argv := cmds[tc.name]
			if len(argv) == 0 || argv[0] != "pestle" {
				t.Fatalf("no pestle command line named %s in commands.txt", tc.name)
			}
			got, _, err := runCaptured(t, argv[1:])
			if err != nil {
				t.Fatalf("%v\n%q", err, argv)
			}
			if got.ran != "build" || !reflect.DeepEqual(got.arches, []string{tc.arch}) {
				t.Fatalf("ran %q for %v, want build for [%s]", got.ran, got.arches, tc.arch)
			}
			compareOptions(t, got.opts, tc.wantO)
		})
	}
}

func TestMakefileTestCommandLines(t *testing.T) {
	cmds := makefileCommands(t)
	want := build.Options{EnvOptions: build.EnvOptions{
		Recipe:       "iptables.yaml",
		SourceDir:    "./iptables/",
		CacheDir:     "./melange-cache/",
		PipelineDirs: []string{"./pipelines/"},
		Packages:     []string{"wolfi-base"},
		Keyring:      []string{"local-melange.rsa.pub", "https://packages.wolfi.dev/os/wolfi-signing.rsa.pub"},
		Repositories: []string{"/tmp/os/packages", "https://packages.wolfi.dev/os"},
		Debug:        true,
	}}
	interactive := want
	interactive.Interactive = true
	for name, w := range map[string]build.Options{"test": want, "test-debug": interactive} {
		t.Run(name, func(t *testing.T) {
			got, _, err := runCaptured(t, cmds[name][1:])
			if err != nil {
				t.Fatal(err)
			}
			if got.ran != "test" || got.only != "" || !reflect.DeepEqual(got.arches, []string{"x86_64"}) {
				t.Fatalf("ran %q (only %q) for %v, want test of every package for [x86_64]", got.ran, got.only, got.arches)
			}
			compareOptions(t, got.opts, w)
		})
	}
}

// compareOptions compares the fields the command line sets.
func compareOptions(t *testing.T, got, want build.Options) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"Recipe", got.Recipe, want.Recipe},
		{"SigningKey", got.SigningKey, want.SigningKey},
		{"OutDir", got.OutDir, want.OutDir},
		{"SourceDir", got.SourceDir, want.SourceDir},
		{"CacheDir", got.CacheDir, want.CacheDir},
		{"ApkCacheDir", got.ApkCacheDir, want.ApkCacheDir},
		{"Namespace", got.Namespace, want.Namespace},
		{"PipelineDirs", got.PipelineDirs, want.PipelineDirs},
		{"EnvFiles", got.EnvFiles, want.EnvFiles},
		{"Origin", got.Origin, want.Origin},
		{"Packages", got.Packages, want.Packages},
		{"Keyring", got.Keyring, want.Keyring},
		{"Repositories", got.Repositories, want.Repositories},
		{"Debug", got.Debug, want.Debug},
		{"Interactive", got.Interactive, want.Interactive},
		{"Keep", got.Keep, false},
		{"AllowUntrusted", got.AllowUntrusted, false},
		{"NoIndex", got.NoIndex, false},
		{"Network", got.Network, netrec.Mode("")},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %#v, want %#v", f.name, f.got, f.want)
		}
	}
}

func TestMakefileKeygenIndexAndPackageVersion(t *testing.T) {
	cmds := makefileCommands(t)

	t.Run("index", func(t *testing.T) {
		argv := cmds["index"][1:]
		root := newRoot()
		cmd, rest, err := root.Find(argv)
		if err != nil || cmd.Name() != "index" {
			t.Fatalf("find: %v, %v", cmd, err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Fatal(err)
		}
		for flag, want := range map[string]string{
			"signing-key": "local-melange.rsa",
			"output":      "./ingress-nginx-controller-1.15/local-packages/x86_64/APKINDEX.tar.gz",
			"merge":       "false",
		} {
			if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
				t.Errorf("--%s = %q, want %q", flag, got, want)
			}
		}
		if args := cmd.Flags().Args(); len(args) != 1 || !strings.HasSuffix(args[0], "/*.apk") {
			t.Errorf("package arguments %q", args)
		}
	})

	t.Run("keygen", func(t *testing.T) {
		argv := cmds["keygen"][1:]
		root := newRoot()
		cmd, rest, err := root.Find(argv)
		if err != nil || cmd.Name() != "keygen" {
			t.Fatalf("find: %v, %v", cmd, err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		if args := cmd.Flags().Args(); !reflect.DeepEqual(args, []string{"local-melange.rsa"}) {
			t.Errorf("key name %q", args)
		}
		if got := cmd.Flags().Lookup("key-size").Value.String(); got != "4096" {
			t.Errorf("--key-size = %s, want melange's 4096", got)
		}
	})

	for _, name := range []string{"package-version", "package-version-unquoted"} {
		t.Run(name, func(t *testing.T) {
			t.Chdir(filepath.Join("testdata", "makefile"))
			_, out, err := runCaptured(t, cmds[name][1:])
			if err != nil {
				t.Fatal(err)
			}
			if out != "iptables-1.8.13-r3" {
				t.Errorf("printed %q, want melange's %q (no newline)", out, "iptables-1.8.13-r3")
			}
		})
	}
}
