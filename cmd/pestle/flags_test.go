package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
)

// melangeFlags are the flags of melange's commands (pkg/cli at the
// reference commit), with their shorthands.
var melangeFlags = map[string][]string{
	"build": {"build-date", "workspace-dir", "pipeline-dir", "pipeline-dirs", "source-dir", "cache-dir",
		"cache-source", "apk-cache-dir", "signing-key", "env-file", "vars-file", "generate-index",
		"empty-workspace", "strip-origin-name", "out-dir", "dependency-log", "overlay-binsh", "namespace",
		"arch", "override-host-triplet-libc-substitution-flavor", "build-option", "runner", "keyring-append/k",
		"repository-append/r", "package-append", "create-build-log", "persist-lint-results", "debug",
		"debug-runner", "interactive/i", "rm", "cpu", "cpumodel", "disk", "memory", "timeout", "trace",
		"lint-require", "lint-warn", "ignore-signatures", "cleanup", "git-commit", "git-repo-url", "license",
		"generate-provenance", "fail-on-lint-warning"},
	"test": {"workspace-dir", "pipeline-dirs", "source-dir", "cache-dir", "cache-source", "apk-cache-dir",
		"arch", "test-option", "runner", "keyring-append/k", "env-file", "debug", "debug-runner",
		"interactive/i", "repository-append/r", "test-package-append", "package-append", "rm",
		"ignore-signatures", "cpu", "cpumodel", "disk", "memory", "timeout"},
	"lint":       {"lint-require", "lint-warn", "persist-lint-results", "out-dir", "fail-on-lint-warning"},
	"index":      {"output/o", "source/s", "arch/a", "signing-key", "merge/m"},
	"sign":       {"signing-key/k"},
	"sign-index": {"signing-key", "force/f"},
	"keygen":     {"key-size"},
}

func init() {
	// compile takes build's flags.
	melangeFlags["compile"] = melangeFlags["build"]
}

func TestEveryMelangeFlagIsAccepted(t *testing.T) {
	root := newRoot()
	for name, flags := range melangeFlags {
		cmd, _, err := root.Find([]string{name})
		if err != nil || cmd.Name() != name {
			t.Errorf("no %s command", name)
			continue
		}
		for _, f := range flags {
			long, short, _ := strings.Cut(f, "/")
			fl := cmd.Flags().Lookup(long)
			if fl == nil {
				t.Errorf("%s: --%s is missing", name, long)
				continue
			}
			if fl.Shorthand != short {
				t.Errorf("%s: --%s has shorthand %q, want %q", name, long, fl.Shorthand, short)
			}
		}
	}
}

func TestRunnerAndArchFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		wantErr string
		arches  []string
	}{
		{[]string{"build", "x.yaml", "--runner", "bubblewrap", "--arch", "x86_64,arm64"}, "", []string{"x86_64", "aarch64"}},
		{[]string{"build", "x.yaml", "--arch", "amd64", "--arch", "x86_64"}, "", []string{"x86_64"}},
		{[]string{"build", "x.yaml", "--arch", "all"}, "", pipeline.AllArches},
		{[]string{"build", "x.yaml"}, "", []string{""}},
		{[]string{"test", "x.yaml", "--arch=host"}, "", []string{apk.HostArch()}},
		{[]string{"build", "x.yaml", "--runner", "docker"}, "--runner docker is not supported", nil},
		{[]string{"test", "x.yaml", "--runner=qemu"}, "--runner qemu is not supported", nil},
		{[]string{"build", "x.yaml", "--runner", "podman"}, `unknown runner "podman"`, nil},
		{[]string{"build", "x.yaml", "--arch", "sparc"}, `unknown architecture "sparc"`, nil},
	} {
		got, _, err := runCaptured(t, tc.args)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if strings.Join(got.arches, ",") != strings.Join(tc.arches, ",") {
			t.Errorf("%q: arches %q, want %q", tc.args, got.arches, tc.arches)
		}
	}
}

func TestTraceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.json")
	old := runBuild
	defer func() { runBuild = old }()
	runBuild = func(_ *cobra.Command, o build.Options, _ []string) error {
		o.Logger.Debug("built", "package", "x", "took", "1ms")
		return nil
	}
	root := newRoot()
	root.SetArgs([]string{"build", "x.yaml", "--trace", path})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil || rec["msg"] != "built" || rec["package"] != "x" || rec["level"] != "DEBUG" {
		t.Errorf("trace %q (%v): want one JSON record of the debug line", data, err)
	}
}

// TestResumeFlags: the flags a failed build's hint repeats parse back to
// the same options, without --resume's own flag or those of a build of
// many recipes.
func TestResumeFlags(t *testing.T) {
	old := runBuild
	defer func() { runBuild = old }()
	var got build.Options
	runBuild = func(_ *cobra.Command, o build.Options, _ []string) error {
		got = o
		return nil
	}
	run := func(args ...string) build.Options {
		t.Helper()
		root := newRoot()
		root.SetArgs(append([]string{"build", "x.yaml"}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := run("-r", "./packages", "-r", `"dir,with,commas"`, "-k", "melange.rsa.pub", "--signing-key", "my key.rsa", "--network=off", "--resume")
	want := []string{"--keyring-append=melange.rsa.pub", "--network=off", "--repository-append=./packages",
		`--repository-append="dir,with,commas"`, "--signing-key=my key.rsa"}
	if strings.Join(first.ResumeFlags, " ") != strings.Join(want, " ") {
		t.Fatalf("ResumeFlags = %q, want %q", first.ResumeFlags, want)
	}
	again := run(first.ResumeFlags...)
	if !slices.Equal(again.Repositories, first.Repositories) || !slices.Equal(again.Keyring, first.Keyring) ||
		again.SigningKey != first.SigningKey || again.Network != first.Network {
		t.Errorf("the flags parse back to other options:\n%+v\n%+v", again.EnvOptions, first.EnvOptions)
	}
	if !slices.Contains(first.Repositories, "dir,with,commas") {
		t.Errorf("repositories %q", first.Repositories)
	}
	// The default cache dir is not one the user chose (a symlink there is
	// refused); a --cache-dir is, even the default's own spelling.
	if first.CacheDir != "./melange-cache/" || first.CacheDirChosen {
		t.Errorf("default cache dir %q, chosen %v", first.CacheDir, first.CacheDirChosen)
	}
	if o := run("--cache-dir", "./melange-cache/"); !o.CacheDirChosen {
		t.Error("--cache-dir given, not marked chosen")
	}
	if first.OutDirChosen || !run("--out-dir", "./packages/").OutDirChosen {
		t.Error("--out-dir chosen: wrong")
	}
}

// TestBareNetworkBeforeAMode: "--network off" is read by pflag as a bare
// --network (host) and an argument "off"; build and test say to write
// --network=off instead of looking for a recipe called off.
func TestBareNetworkBeforeAMode(t *testing.T) {
	old := runBuild
	defer func() { runBuild = old }()
	runBuild = func(*cobra.Command, build.Options, []string) error { return nil }
	for _, args := range [][]string{
		{"build", "x.yaml", "--network", "off"},
		{"build", "--network", "replay", "x.yaml"},
		{"test", "x.yaml", "pkg", "--network", "record"},
	} {
		_, err := execCLI(t, args...)
		mode := args[slices.Index(args, "--network")+1]
		if err == nil || !strings.Contains(err.Error(), "write --network="+mode) {
			t.Errorf("%q: %v, want the hint --network=%s", args, err, mode)
		}
	}
	// A file of that name is a recipe.
	t.Chdir(t.TempDir())
	if err := os.WriteFile("off", []byte("package: {name: x, version: 1, epoch: 0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := execCLI(t, "build", "--network", "off"); err != nil {
		t.Errorf("a recipe called off: %v", err)
	}
}

// TestRunFlagChecks: a negative --timeout is refused; a --pipeline-dir
// that is not a directory is accepted, as melange accepts it, with a
// warning.
func TestRunFlagChecks(t *testing.T) {
	old := runBuild
	defer func() { runBuild = old }()
	runBuild = func(*cobra.Command, build.Options, []string) error { return nil }
	if _, err := execCLI(t, "build", "x.yaml", "--timeout=-1s"); err == nil || !strings.Contains(err.Error(), "--timeout -1s: want a duration") {
		t.Errorf("negative timeout: %v", err)
	}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = logFile
	_, err = execCLI(t, "build", "x.yaml", "--pipeline-dir", filepath.Join(t.TempDir(), "typo"), "--pipeline-dir", t.TempDir())
	os.Stderr = stderr
	if err != nil {
		t.Fatal(err)
	}
	logged, _ := os.ReadFile(logFile.Name())
	if n := strings.Count(string(logged), "--pipeline-dir is not a directory"); n != 1 {
		t.Errorf("%d warnings, want one for the missing dir:\n%s", n, logged)
	}
}
