package build

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline/netrec"
	"github.com/pestle-dev/pestle/sandbox"
)

const helloRecipe = `package:
  name: hello-sh
  version: 1.2.3
  epoch: 1
  description: a friendly shell greeter
  copyright:
    - license: MIT
environment:
  contents:
    packages:
      - busybox
pipeline:
  - name: install
    runs: |
      mkdir -p ${{targets.destdir}}/usr/bin ${{targets.destdir}}/usr/include ${{targets.destdir}}/usr/lib/pkgconfig
      printf '#!/bin/sh\necho hello from ${{package.name}}\n' > ${{targets.destdir}}/usr/bin/hello
      chmod 755 ${{targets.destdir}}/usr/bin/hello
      echo '/* hello */' > ${{targets.destdir}}/usr/include/hello.h
      echo 'Name: hello' > ${{targets.destdir}}/usr/lib/pkgconfig/hello.pc
subpackages:
  - name: hello-sh-dev
    pipeline:
      - uses: split/dev
  - name: hello-sh-doc
    description: hello documentation
    pipeline:
      - runs: |
          mkdir -p ${{targets.subpkgdir}}/usr/share/doc/hello
          echo docs > ${{targets.subpkgdir}}/usr/share/doc/hello/README
`

// contents lists the data entries of a package file after verifying it
// with the key at pub.
func contents(t *testing.T, path, pub string) (*apk.Package, []string) {
	t.Helper()
	kr, err := keys.LoadKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	sboms := 0
	pkg, err := apk.ReadFile(path, apk.ReadOptions{Keyring: kr, OnEntry: func(e apk.Entry) error {
		switch {
		case e.Type == tar.TypeDir:
		case strings.HasPrefix(e.Name, "var/lib/db/sbom/"):
			sboms++
		default:
			names = append(names, e.Name)
		}
		return nil
	}})
	if err != nil {
		t.Fatalf("%s does not verify: %v", path, err)
	}
	if want := pkg.Info.Name + "-" + pkg.Info.Version + ".spdx.json"; sboms != 1 {
		t.Errorf("%s holds %d SBOMs, want var/lib/db/sbom/%s", path, sboms, want)
	}
	sort.Strings(names)
	return pkg, names
}

func TestBuildWithSubpackages(t *testing.T) {
	tb := newTestBuild(t, helloRecipe)
	var logBuf fixture.SyncBuffer
	tb.opts.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	arch := apk.HostArch()
	if res.Arch != arch || len(res.Packages) != 3 {
		t.Fatalf("result %+v", res)
	}
	pub := tb.opts.SigningKey + ".pub"
	want := map[string][]string{
		"hello-sh":     {"usr/bin/hello"},
		"hello-sh-dev": {"usr/include/hello.h", "usr/lib/pkgconfig/hello.pc"},
		"hello-sh-doc": {"usr/share/doc/hello/README"},
	}
	for i, w := range res.Packages {
		name := []string{"hello-sh", "hello-sh-dev", "hello-sh-doc"}[i]
		if w.Info.Name != name {
			t.Fatalf("package %d is %s, want %s (main package first)", i, w.Info.Name, name)
		}
		wantPath := filepath.Join(tb.opts.OutDir, arch, name+"-1.2.3-r1.apk")
		if w.Path != wantPath {
			t.Errorf("path %s, want %s", w.Path, wantPath)
		}
		pkg, files := contents(t, w.Path, pub)
		if strings.Join(files, " ") != strings.Join(want[name], " ") {
			t.Errorf("%s holds %v, want %v", name, files, want[name])
		}
		in := pkg.Info
		if in.Version != "1.2.3-r1" || in.Origin != "hello-sh" || in.License != "MIT" || in.Arch != arch {
			t.Errorf("%s metadata: version %q origin %q license %q arch %q", name, in.Version, in.Origin, in.License, in.Arch)
		}
		wantProvides := map[string]string{
			"hello-sh":     "cmd:hello=1.2.3-r1",
			"hello-sh-dev": "pc:hello=1.2.3-r1",
			"hello-sh-doc": "",
		}[name]
		if got := strings.Join(in.Provides, " "); got != wantProvides {
			t.Errorf("%s provides %q, want %q (detected from the tree)", name, got, wantProvides)
		}
		if _, ok := pkg.Control[".melange.yaml"]; !ok {
			t.Errorf("%s has no .melange.yaml", name)
		}
	}
	kr, _ := keys.LoadKeyring(pub)
	ix, err := index.ReadFile(res.Index, kr, false)
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	var names []string
	for _, p := range ix.Packages {
		names = append(names, p.Name)
	}
	if strings.Join(names, " ") != "hello-sh hello-sh-dev hello-sh-doc" {
		t.Errorf("index lists %v", names)
	}
	// The workspace and guest root are gone (--rm is the default).
	if res.Workspace != "" {
		t.Errorf("workspace kept: %s", res.Workspace)
	}
	// The steps used no network: the log counts zero, the summary is
	// left out.
	if res.Network != "" {
		t.Errorf("summary line %q for a build with no network traffic", res.Network)
	}
	for _, line := range []string{"msg=\"step done\"", "msg=\"wrote package\"", "msg=\"network traffic\" requests=0 hosts=0"} {
		if !strings.Contains(logBuf.String(), line) {
			t.Errorf("log lacks %s:\n%s", line, logBuf.String())
		}
	}
}

func TestBuildIsReproducible(t *testing.T) {
	tb := newTestBuild(t, helloRecipe)
	if _, err := tb.run(t); err != nil {
		t.Fatal(err)
	}
	first := tb.opts.OutDir
	tb.opts.OutDir = filepath.Join(t.TempDir(), "again")
	if _, err := tb.run(t); err != nil {
		t.Fatal(err)
	}
	arch := apk.HostArch()
	files, _ := filepath.Glob(filepath.Join(first, arch, "*.apk"))
	files = append(files, filepath.Join(first, arch, "APKINDEX.tar.gz"))
	if len(files) != 4 {
		t.Fatalf("first build wrote %v", files)
	}
	for _, f := range files {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join(tb.opts.OutDir, arch, filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds of the same recipe (%v)", filepath.Base(f), err)
		}
	}
}

func TestBuildFailingStepNamesStepAndLine(t *testing.T) {
	recipe := busyboxRecipe("fails") + `pipeline:
  - name: fine
    runs: echo ok
  - name: broken
    runs: |
      echo about to fail
      exit 3
`
	tb := newTestBuild(t, recipe)
	_, err := tb.run(t)
	var se *StepError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want a *StepError", err)
	}
	var ex *sandbox.ExitError
	if !errors.As(err, &ex) || ex.Code != 3 {
		t.Fatalf("error %v, want exit code 3", err)
	}
	msg := err.Error()
	for _, want := range []string{"melange.yaml:11", `step "broken"`, "package fails", "exit code 3"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if !strings.Contains(tb.out.String(), "[fails] about to fail") {
		t.Errorf("step output not prefixed and streamed:\n%s", tb.out.String())
	}
	if _, err := os.Stat(tb.opts.OutDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed build created %s", tb.opts.OutDir)
	}
}

func TestBuildMissingToolSaysSo(t *testing.T) {
	recipe := busyboxRecipe("notool") + `pipeline:
  - runs: cmake --version
`
	tb := newTestBuild(t, recipe)
	_, err := tb.run(t)
	if err == nil || !strings.Contains(err.Error(), "exit code 127") || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("error %v, want exit code 127 and a not-found hint", err)
	}
}

// netRecipe records the network interfaces the sandbox sees.
var netRecipe = busyboxRecipe("netcheck") + `pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/etc
      awk 'NR > 2 { sub(":", "", $1); print $1 }' /proc/net/dev | sort > ${{targets.destdir}}/etc/interfaces
`

func interfaces(t *testing.T, res *Result) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "etc/interfaces"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(got))
}

func TestBuildLoopbackOnlyByDefault(t *testing.T) {
	tb := newTestBuild(t, netRecipe)
	res, err := tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := interfaces(t, res); got != "lo" {
		t.Errorf("sandbox sees interfaces %q, want only lo", got)
	}
	host, err := os.ReadFile("/proc/net/dev")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(host), "\n") <= 3 {
		fixture.Need(t, "a network interface besides lo, to tell --network apart", errors.New("/proc/net/dev lists only lo"))
	}
	tb.opts.Network = netrec.Host
	res, err = tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := interfaces(t, res); got == "lo" {
		t.Errorf("with Network the sandbox still sees only lo")
	}
}

func TestBuildFromPreviousBuild(t *testing.T) {
	first := newTestBuild(t, helloRecipe)
	if _, err := first.run(t); err != nil {
		t.Fatal(err)
	}
	recipe := `package:
  name: uses-hello
  version: 0.1.0
  epoch: 0
environment:
  contents:
    packages: [busybox, hello-sh]
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share
      hello > ${{targets.destdir}}/usr/share/greeting
`
	second := newTestBuild(t, recipe)
	second.opts.Repositories = append(second.opts.Repositories, first.opts.OutDir)
	second.opts.Keyring = append(second.opts.Keyring, first.opts.SigningKey+".pub")
	res, err := second.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, second.out.String())
	}
	dir := t.TempDir()
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "usr/share/greeting"))
	if string(got) != "hello from hello-sh\n" {
		t.Errorf("greeting %q", got)
	}
}

func TestBuildCannotChangeCachedRoot(t *testing.T) {
	recipe := busyboxRecipe("leaky") + `pipeline:
  - runs: |
      grep -q leaked /etc/passwd && { echo "the cached root was changed by an earlier build"; exit 1; }
      echo leaked >> /etc/passwd
      echo leaked > /usr/bin/leaked
`
	tb := newTestBuild(t, recipe)
	for i := 0; i < 2; i++ {
		if _, err := tb.run(t); err != nil {
			t.Fatalf("build %d: %v\n%s", i+1, err, tb.out.String())
		}
	}
	roots, _ := filepath.Glob(filepath.Join(tb.opts.ApkCacheDir, "roots", "*", "etc", "passwd"))
	if len(roots) == 0 {
		t.Fatal("no cached root")
	}
	for _, p := range roots {
		data, _ := os.ReadFile(p)
		if strings.Contains(string(data), "leaked") {
			t.Errorf("%s was changed by a build", p)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(p)), "usr/bin/leaked")); err == nil {
			t.Errorf("a build added usr/bin/leaked to the cached root %s", filepath.Dir(filepath.Dir(p)))
		}
	}
}

// tarGz makes a .tar.gz with one top directory holding files.
func tarGz(t *testing.T, top string, files map[string]string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: top + "/", Typeflag: tar.TypeDir, Mode: 0o755})
	for name, body := range files {
		tw.WriteHeader(&tar.Header{Name: top + "/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body))})
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestBuildFetchesOnTheHost(t *testing.T) {
	archive := tarGz(t, "src-1.0", map[string]string{"message.txt": "fetched\n"})
	sum := sha256.Sum256(archive)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive) }))
	defer srv.Close()
	recipe := func(sha string) string {
		return fmt.Sprintf(busyboxRecipe("fetched")+`pipeline:
  - uses: fetch
    with:
      uri: %s/src-${{package.version}}.tar.gz
      expected-sha256: %s
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share
      cp message.txt ${{targets.destdir}}/usr/share/
`, srv.URL, sha)
	}
	tb := newTestBuild(t, recipe(hex.EncodeToString(sum[:])))
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	if len(res.Sources) != 1 || res.Sources[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sources %+v", res.Sources)
	}
	_, files := contents(t, res.Packages[0].Path, tb.opts.SigningKey+".pub")
	if strings.Join(files, " ") != "usr/share/message.txt" {
		t.Errorf("package holds %v", files)
	}

	bad := newTestBuild(t, recipe(strings.Repeat("0", 64)))
	_, err = bad.run(t)
	if err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Fatalf("checksum mismatch: %v", err)
	}
}

func TestBuildGitCheckoutOnTheHost(t *testing.T) {
	fixture.NeedTool(t, "git")
	// The repository is in the recipe's folder, as a guest path; one
	// elsewhere on the host is refused.
	upstream := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", upstream, "-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(upstream, "VERSION"), []byte("2.0\n"), 0o644)
	git("add", "VERSION")
	git("commit", "-q", "-m", "v2")
	git("tag", "v2.0")
	commit := git("rev-parse", "HEAD")
	recipe := func(repo, expected string) string {
		return fmt.Sprintf(`package:
  name: from-git
  version: "2.0"
  epoch: 0
environment:
  contents:
    packages: [busybox]
pipeline:
  - uses: git-checkout
    with:
      repository: %s
      tag: v${{package.version}}
      expected-commit: %s
      destination: src
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share
      cp src/VERSION ${{targets.destdir}}/usr/share/
`, repo, expected)
	}
	build := func(repo, expected string) (*Result, *testBuild, error) {
		tb := newTestBuild(t, recipe(repo, expected))
		cmd := exec.Command("git", "clone", "-q", "--bare", upstream, filepath.Join(tb.srcDir, "upstream.git"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		res, err := tb.run(t)
		return res, tb, err
	}
	for _, repo := range []string{"./upstream.git", "file:///home/build/upstream.git"} {
		res, tb, err := build(repo, commit)
		if err != nil {
			t.Fatalf("%s: %v\n%s", repo, err, tb.out.String())
		}
		if len(res.Sources) != 1 || res.Sources[0].Commit != commit || res.Sources[0].Repository != repo {
			t.Errorf("%s: sources %+v", repo, res.Sources)
		}
	}
	if _, _, err := build("./upstream.git", strings.Repeat("a", 40)); err == nil || !strings.Contains(err.Error(), commit) {
		t.Fatalf("wrong expected-commit: %v", err)
	}
	if _, _, err := build("file://"+upstream, commit); err == nil || !strings.Contains(err.Error(), "outside the workspace") {
		t.Fatalf("a repository elsewhere on the host: %v", err)
	}
}

func TestBuildSkipsOtherArchitectures(t *testing.T) {
	other := "aarch64"
	if apk.HostArch() == "aarch64" {
		other = "x86_64"
	}
	tb := newTestBuild(t, strings.Replace(helloRecipe, "  epoch: 1\n", "  epoch: 1\n  target-architecture: ["+other+"]\n", 1))
	res, err := tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped == "" || len(res.Packages) != 0 {
		t.Fatalf("result %+v, want skipped", res)
	}
}

var testedRecipe = busyboxRecipe("greeter") + `pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/bin
      printf '#!/bin/sh\necho "Hello World!"\n' > ${{targets.destdir}}/usr/bin/greet
      chmod 755 ${{targets.destdir}}/usr/bin/greet
subpackages:
  - name: greeter-broken
    pipeline:
      - runs: mkdir -p ${{targets.subpkgdir}}/usr/share && echo x > ${{targets.subpkgdir}}/usr/share/x
    test:
      environment:
        contents:
          packages: [busybox]
      pipeline:
        - name: expects a missing file
          runs: test -e /usr/share/does-not-exist
test:
  environment:
    contents:
      packages: [busybox]
  pipeline:
    - name: greets
      runs: |
        out=$(greet)
        [ "$out" = "Hello World!" ]
`

func TestTestPassesAndFails(t *testing.T) {
	tb := newTestBuild(t, testedRecipe)
	if _, err := tb.run(t); err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	topts := TestOptions{EnvOptions: tb.opts.EnvOptions}
	topts.Repositories = append(topts.Repositories, tb.opts.OutDir)
	topts.Keyring = append(topts.Keyring, tb.opts.SigningKey+".pub")
	rep, err := Test(t.Context(), topts)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Failed() != 1 {
		t.Fatalf("results %+v", rep.Results)
	}
	for _, r := range rep.Results {
		switch r.Package {
		case "greeter":
			if r.Err != nil {
				t.Errorf("greeter test failed: %v\n%s", r.Err, tb.out.String())
			}
		case "greeter-broken":
			if r.Err == nil || !strings.Contains(r.Err.Error(), `step "expects a missing file"`) {
				t.Errorf("greeter-broken: %v, want the failing step named", r.Err)
			}
		}
	}
	topts.Package = "greeter"
	only, err := Test(t.Context(), topts)
	if err != nil || len(only.Results) != 1 || only.Failed() != 0 {
		t.Fatalf("test of greeter only: %+v, %v", only, err)
	}
	topts.Package = "nope"
	if _, err := Test(t.Context(), topts); !errors.Is(err, ErrNoTests) {
		t.Errorf("unknown package: %v, want ErrNoTests", err)
	}
}

// A test of a package that is in no repository says to build it first.
func TestTestOfAPackageNotBuilt(t *testing.T) {
	tb := newTestBuild(t, testedRecipe)
	topts := TestOptions{EnvOptions: tb.opts.EnvOptions, Package: "greeter"}
	rep, err := Test(t.Context(), topts)
	if err != nil {
		t.Fatal(err)
	}
	want := "no package in the repository provides it: build it first (pestle build " + tb.opts.Recipe + "), or add the repository that holds it with -r"
	if len(rep.Results) != 1 || rep.Results[0].Err == nil || !strings.Contains(rep.Results[0].Err.Error(), want) {
		t.Fatalf("results %+v, want an error containing %q", rep.Results, want)
	}
}

func TestBuildTimeoutKillsTheStep(t *testing.T) {
	recipe := `package:
  name: slow
  version: 1.0.0
  epoch: 0
  timeout: 1s
environment:
  contents:
    packages: [busybox]
pipeline:
  - runs: sleep 600
`
	tb := newTestBuild(t, recipe)
	_, err := tb.run(t)
	if err == nil || !strings.Contains(err.Error(), "package.timeout is 1s") {
		t.Fatalf("error %v, want one naming package.timeout", err)
	}
}

func TestBuildWorkspaceOptions(t *testing.T) {
	recipe := busyboxRecipe("ws") + `pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share
      ls -A | sort | tr '\n' ' ' > ${{targets.destdir}}/usr/share/listing
`
	tb := newTestBuild(t, recipe)
	write(t, filepath.Join(tb.srcDir, "input.txt"), "in", 0o644)
	write(t, filepath.Join(tb.srcDir, "skip.me"), "x", 0o644)
	write(t, filepath.Join(tb.srcDir, ".melangeignore"), "*.me\n", 0o644)
	listing := func(res *Result) string {
		dir := t.TempDir()
		if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(filepath.Join(dir, "usr/share/listing"))
		return strings.TrimSpace(string(got))
	}
	res, err := tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := listing(res); got != ".melangeignore input.txt melange-out melange.yaml" {
		t.Errorf("default workspace holds %q", got)
	}
	tb.opts.EmptyWorkspace = true
	res, err = tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := listing(res); got != "melange-out" {
		t.Errorf("empty workspace holds %q", got)
	}
	tb.opts.Keep = true
	t.Setenv("TMPDIR", t.TempDir()) // what a kept build leaves is removed with the test
	tb.opts.WorkspaceDir = t.TempDir()
	res, err = tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(tb.opts.WorkspaceDir, apk.HostArch())
	if res.Workspace != want {
		t.Fatalf("kept workspace %q, want %q", res.Workspace, want)
	}
	if _, err := os.Stat(filepath.Join(want, "melange-out", "ws", "usr", "share", "listing")); err != nil {
		t.Errorf("kept workspace lacks the output tree: %v", err)
	}
}

func TestBuildRequiredLintFails(t *testing.T) {
	recipe := busyboxRecipe("sloppy") + `pipeline:
  - runs: mkdir -p ${{targets.destdir}}/usr/share/doc && echo ok > ${{targets.destdir}}/usr/share/doc/ok
subpackages:
  - name: sloppy-open
    pipeline:
      - runs: |
          mkdir -p ${{targets.subpkgdir}}/usr/share/sloppy
          echo x > ${{targets.subpkgdir}}/usr/share/sloppy/open
          chmod 666 ${{targets.subpkgdir}}/usr/share/sloppy/open
`
	tb := newTestBuild(t, recipe)
	_, err := tb.run(t)
	if err == nil || !strings.Contains(err.Error(), "worldwrite") || !strings.Contains(err.Error(), "usr/share/sloppy/open") {
		t.Fatalf("error %v, want the worldwrite linter naming the file", err)
	}
	if _, err := os.Stat(tb.opts.OutDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a build that failed lint wrote %s", tb.opts.OutDir)
	}
	// Disabled in the recipe, it is only a warning.
	tb2 := newTestBuild(t, strings.Replace(recipe, "  - name: sloppy-open\n", "  - name: sloppy-open\n    checks:\n      disabled: [worldwrite]\n", 1))
	if _, err := tb2.run(t); err != nil {
		t.Fatalf("with checks.disabled: %v", err)
	}
}

// When bwrap cannot make a sandbox, the build says why and how to fix it.
func TestBuildExplainsABrokenSandbox(t *testing.T) {
	tb := newTestBuild(t, helloRecipe)
	fake := t.TempDir()
	script := "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(fake, "bwrap"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fake+":"+os.Getenv("PATH"))
	_, err := tb.run(t)
	if !errors.Is(err, sandbox.ErrUserNamespaces) || !strings.Contains(err.Error(), "sysctl") {
		t.Fatalf("error %v, want the user-namespace cause with a sysctl fix", err)
	}
}
