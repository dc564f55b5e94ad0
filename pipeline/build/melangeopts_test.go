package build

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/lint"
	"github.com/pestle-dev/pestle/pipeline/sca"
	"github.com/pestle-dev/pestle/sandbox"
)

// TestBuildMelangeRecords covers the options melange's command line sets:
// the recipe's origin reaches .PKGINFO and the SBOM, --strip-origin-name,
// --create-build-log and --persist-lint-results write what they should.
func TestBuildMelangeRecords(t *testing.T) {
	needSandbox(t)
	recipe := busyboxRecipe("recorded") + `subpackages:
  - name: recorded-doc
    pipeline:
      - runs: mkdir -p ${{targets.contextdir}}/usr/share/doc && echo hi > ${{targets.contextdir}}/usr/share/doc/x
pipeline:
  - runs: mkdir -p ${{targets.destdir}}/usr/bin && echo x > ${{targets.destdir}}/usr/bin/tool
`
	tb := newTestBuild(t, recipe)
	commit := strings.Repeat("ab", 20)
	tb.opts.Origin = RecipeOrigin{Commit: commit, RepoURL: "https://example.org/distro", License: "Apache-2.0"}
	tb.opts.StripOriginName = true
	log := filepath.Join(t.TempDir(), "packages.log")
	deps := filepath.Join(t.TempDir(), "deps")
	tb.opts.Records = Records{BuildLog: true, BuildLogFile: log, LintResults: true, Provenance: true, DependencyLog: deps}
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	for _, w := range res.Packages {
		if w.Info.Commit != commit {
			t.Errorf("%s: commit %q, want --git-commit's %q", w.Info.Name, w.Info.Commit, commit)
		}
		if w.Info.Origin != w.Info.Name {
			t.Errorf("%s: origin %q, want its own name with --strip-origin-name", w.Info.Name, w.Info.Origin)
		}
		lintFile := filepath.Join(tb.opts.OutDir, res.Arch, lint.ResultsFileName(w.Info.Name, w.Info.Version))
		var lr lint.Results
		data, err := os.ReadFile(lintFile)
		if err != nil || json.Unmarshal(data, &lr) != nil || lr.Package != w.Info.Name {
			t.Errorf("lint results of %s: %v %q", w.Info.Name, err, data)
		}
	}
	for _, w := range res.Packages {
		checkProvenance(t, w, commit)
	}
	if data, err := os.ReadFile(deps + "." + res.Arch); err != nil || string(data) != "{}\n" {
		t.Errorf("dependency log %q, %v; want an empty JSON object (nothing is linked dynamically)", data, err)
	}
	got, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	want := res.Arch + "|recorded|recorded|1.0.0-r0\n" + res.Arch + "|recorded|recorded-doc|1.0.0-r0\n"
	if string(got) != want {
		t.Errorf("packages.log:\n%s\nwant:\n%s", got, want)
	}
	sbom := readSBOM(t, res.Packages[0].Path)
	for _, s := range []string{`"licenseDeclared": "Apache-2.0"`, `"downloadLocation": "git+https://example.org/distro@` + commit + `"`, `"versionInfo": "` + commit + `"`} {
		if !strings.Contains(sbom, s) {
			t.Errorf("SBOM lacks %s", s)
		}
	}
}

// readSBOM returns the SPDX document inside the package at path.
func readSBOM(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := apk.ReadFile(path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "var/lib/db/sbom/*.spdx.json"))
	if len(m) != 1 {
		t.Fatalf("SBOMs in %s: %v", path, m)
	}
	data, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestBuildCommandLineTimeout(t *testing.T) {
	needSandbox(t)
	tb := newTestBuild(t, busyboxRecipe("slow-cli")+"pipeline:\n  - runs: sleep 600\n")
	tb.opts.Timeout = time.Second
	_, err := tb.run(t)
	if err == nil || !strings.Contains(err.Error(), "--timeout 1s reached") {
		t.Fatalf("error %v, want one naming --timeout", err)
	}
}

func TestGitHeadAndRunner(t *testing.T) {
	dir := t.TempDir()
	commit := strings.Repeat("0123456789", 4)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, ".git", "refs", "heads"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "recipes"), 0o755))
	must(os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref: refs/heads/main\n"), 0o644))
	if _, err := GitHead(filepath.Join(dir, "recipes")); err == nil {
		t.Error("a missing ref gave no error")
	}
	must(os.WriteFile(filepath.Join(dir, ".git", "packed-refs"), []byte("# pack-refs\n"+commit+" refs/heads/main\n"), 0o644))
	if got, err := GitHead(filepath.Join(dir, "recipes")); err != nil || got != commit {
		t.Errorf("packed ref: %q, %v", got, err)
	}
	other := strings.Repeat("f", 40)
	must(os.WriteFile(filepath.Join(dir, ".git", "refs", "heads", "main"), []byte(other+"\n"), 0o644))
	if got, err := GitHead(dir); err != nil || got != other {
		t.Errorf("loose ref: %q, %v", got, err)
	}
	if got := (RecipeOrigin{}).resolve(filepath.Join(dir, "recipes", "x.yaml")); got.Commit != other {
		t.Errorf("resolve: %q", got.Commit)
	}
	for name, ok := range map[string]bool{"": true, "bubblewrap": true, "docker": false, "qemu": false, "lxc": false} {
		if err := CheckRunner(name); (err == nil) != ok {
			t.Errorf("CheckRunner(%q) = %v", name, err)
		}
	}
}

// TestBuildSetcap: setcap: puts security.capability on the file in the
// package; a path the package lacks stops the build before anything is
// written.
func TestBuildSetcap(t *testing.T) {
	needSandbox(t)
	recipe := `package:
  name: pinger
  version: 1.0.0
  epoch: 0
  setcap:
    - path: /usr/bin/pinger
      add:
        cap_net_raw: "+ep"
      reason: sends ICMP echo requests
environment:
  contents:
    packages: [busybox]
pipeline:
  - runs: mkdir -p ${{targets.destdir}}/usr/bin && printf '#!/bin/sh\n' > ${{targets.destdir}}/usr/bin/pinger && chmod 755 ${{targets.destdir}}/usr/bin/pinger
`
	tb := newTestBuild(t, recipe)
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	want, _ := apk.FileCapabilities(map[string]string{"cap_net_raw": "+ep"})
	var got string
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{AllowUntrusted: true, OnEntry: func(e apk.Entry) error {
		if e.Name == "usr/bin/pinger" {
			got = e.Xattrs[apk.XattrCapability]
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("usr/bin/pinger carries security.capability %x, want %x", got, want)
	}

	bad := newTestBuild(t, strings.Replace(recipe, "path: /usr/bin/pinger", "path: /usr/bin/ponger", 1))
	_, err = bad.run(t)
	if err == nil || !strings.Contains(err.Error(), "setcap: /usr/bin/ponger is not a regular file") {
		t.Fatalf("error %v, want one naming the missing setcap path", err)
	}
	if m, _ := filepath.Glob(filepath.Join(bad.opts.OutDir, "*", "*.apk")); len(m) != 0 {
		t.Errorf("a failed build wrote %v", m)
	}
}

// checkProvenance reads the statement next to a written package.
func checkProvenance(t *testing.T, w Written, commit string) {
	t.Helper()
	f, err := os.Open(filepath.Join(filepath.Dir(w.Path), ProvenanceFileName(w.Info)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if want := w.Info.Name + "-" + w.Info.Version + ".intoto.json"; hdr.Name != want {
		t.Errorf("member %q, want %q", hdr.Name, want)
	}
	var st statement
	if err := json.NewDecoder(tr).Decode(&st); err != nil {
		t.Fatal(err)
	}
	sum, _ := fsutil.SHA256File(w.Path)
	if st.Type != inTotoStatement || st.PredicateType != slsaProvenance || len(st.Subject) != 1 ||
		st.Subject[0].Name != filepath.Base(w.Path) || st.Subject[0].Digest["sha256"] != sum {
		t.Errorf("statement of %s: %+v (apk sha256 %s)", w.Path, st, sum)
	}
	deps := st.Predicate.BuildDefinition.ResolvedDependencies
	if len(deps) == 0 || deps[0].Digest["gitCommit"] != commit || !strings.Contains(deps[len(deps)-1].URI, "pkg:apk/") {
		t.Errorf("resolved dependencies %+v: want the recipe's commit first and the environment's packages", deps)
	}
	if st.Predicate.RunDetails.Metadata.StartedOn == "" || st.Predicate.RunDetails.Builder.ID == "" {
		t.Errorf("run details %+v", st.Predicate.RunDetails)
	}
}

func TestDependencyLog(t *testing.T) {
	d := depLog{}
	d.add(&sca.Result{
		Depends: []string{"so:libc.so.6", "so:libz.so.1", "cmd:sh", "python-3.12"},
		Reasons: map[string]string{"so:libc.so.6": "DT_NEEDED of usr/bin/b", "so:libz.so.1": "DT_NEEDED of usr/lib/libx.so.1", "cmd:sh": "shebang of usr/bin/s"},
	})
	d.add(&sca.Result{Depends: []string{"so:libc.so.6"}, Reasons: map[string]string{"so:libc.so.6": "DT_NEEDED of usr/bin/a"}})
	path := filepath.Join(t.TempDir(), "deps")
	if err := d.write(path, "x86_64"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path + ".x86_64")
	want := `{"libc.so.6":["usr/bin/a","usr/bin/b"],"libz.so.1":["usr/lib/libx.so.1"]}` + "\n"
	if err != nil || string(got) != want {
		t.Errorf("dependency log %s (%v), want %s", got, err, want)
	}
	if err := depLog(nil).write(path, "aarch64"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".aarch64"); err == nil {
		t.Error("a log that was not asked for was written")
	}
}

func TestParseLimits(t *testing.T) {
	for _, tc := range []struct {
		cpu, mem string
		want     sandbox.Limits
		err      string
	}{
		{"", "", sandbox.Limits{}, ""},
		{"2", "4Gi", sandbox.Limits{CPUs: 2, Memory: 4 << 30}, ""},
		{"500m", "512M", sandbox.Limits{CPUs: 0.5, Memory: 512e6}, ""},
		{"1.5", "1048576", sandbox.Limits{CPUs: 1.5, Memory: 1 << 20}, ""},
		{"two", "", sandbox.Limits{}, "--cpu"},
		{"", "4GB", sandbox.Limits{}, "--memory"},
		{"-1", "", sandbox.Limits{}, "--cpu"},
	} {
		got, err := parseLimits(pipeline.Resources{CPU: tc.cpu, Memory: tc.mem})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: error %v, want %q", tc.cpu, tc.mem, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q %q = %+v, %v; want %+v", tc.cpu, tc.mem, got, err, tc.want)
		}
	}
}

// TestBuildResourceLimits: --cpu and --memory either put the steps in a
// cgroup of their own or, where cgroup v2 delegation does not allow it,
// say so in one warning; the build goes on either way.
func TestBuildResourceLimits(t *testing.T) {
	needSandbox(t)
	tb := newTestBuild(t, busyboxRecipe("limited")+"pipeline:\n  - runs: echo ok\n")
	tb.opts.Resources = pipeline.Resources{CPU: "1", Memory: "256Mi"}
	var logs fixture.SyncBuffer
	tb.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := tb.run(t); err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	out := logs.String()
	limited := strings.Count(out, "sandbox limited")
	warned := strings.Count(out, "--cpu/--memory not enforced")
	if limited+warned != 1 {
		t.Errorf("want one line saying the sandbox is limited or why not, got:\n%s", out)
	}
}
