package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/internal/testrepo"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline/build"
	"github.com/pestle-dev/pestle/pipeline/graph"
)

// genRecipe is a generated busybox recipe: its build environment holds
// busybox and needs; its step checks that each need's file is installed
// (so the dependency's new package was in the out-dir when it resolved),
// runs extra, and installs /usr/share/<name>/id.
func genRecipe(name string, needs []string, extra string) string {
	var check strings.Builder
	for _, n := range needs {
		if !strings.HasPrefix(n, "no-such") {
			fmt.Fprintf(&check, "      test -f /usr/share/%s/id\n", n)
		}
	}
	return "package:\n  name: " + name + "\n  version: 1.0.0\n  epoch: 0\n" +
		"environment:\n  contents:\n    packages: [" + strings.Join(append([]string{"busybox"}, needs...), ", ") + "]\n" +
		"pipeline:\n  - name: install\n    runs: |\n" + check.String() + extra +
		"      mkdir -p ${{targets.destdir}}/usr/share/" + name + "\n" +
		"      echo " + name + " > ${{targets.destdir}}/usr/share/" + name + "/id\n"
}

// genSet writes 32 recipes into dir: six leaves; four diamonds (top-i
// needs left-i and right-i, which both need leaf-i); a chain of three on
// top of the first diamond; a recipe needing a package nobody has and one
// behind it; a failing recipe and two behind it; a two-recipe cycle and one
// behind it; three independent recipes. It returns what each needs.
func genSet(t *testing.T, dir string) map[string][]string {
	t.Helper()
	needs := map[string][]string{}
	extra := map[string]string{"bad": "      echo failing on purpose; exit 7\n"}
	for i := range 6 {
		needs[fmt.Sprintf("leaf-%d", i)] = nil
	}
	for i := range 4 {
		leaf := fmt.Sprintf("leaf-%d", i)
		needs[fmt.Sprintf("left-%d", i)] = []string{leaf}
		needs[fmt.Sprintf("right-%d", i)] = []string{leaf}
		needs[fmt.Sprintf("top-%d", i)] = []string{fmt.Sprintf("left-%d", i), fmt.Sprintf("right-%d", i)}
	}
	needs["chain-0"] = []string{"top-0"}
	needs["chain-1"] = []string{"chain-0"}
	needs["chain-2"] = []string{"chain-1"}
	needs["missing"] = []string{"no-such-package"}
	needs["after-missing"] = []string{"missing"}
	needs["bad"] = []string{"leaf-4"}
	needs["after-bad"] = []string{"bad"}
	needs["after-after-bad"] = []string{"after-bad", "leaf-5"}
	needs["cyc-a"] = []string{"cyc-b"}
	needs["cyc-b"] = []string{"cyc-a"}
	needs["after-cyc"] = []string{"cyc-a"}
	for i := range 3 {
		needs[fmt.Sprintf("solo-%d", i)] = nil
	}
	for name, n := range needs {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(genRecipe(name, n, extra[name])), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return needs
}

var (
	repoOnce sync.Once
	repoDir  string
	repoPub  string
	repoErr  error
)

// baseRepo is one busybox repository per test binary.
func baseRepo(t *testing.T) (string, string) {
	t.Helper()
	testrepo.NeedSandbox(t)
	repoOnce.Do(func() {
		if repoDir, repoErr = os.MkdirTemp("", "pestle-batch-base-"); repoErr == nil {
			repoPub, repoErr = testrepo.Busybox(repoDir)
		}
	})
	if repoErr != nil {
		t.Fatal(repoErr)
	}
	return repoDir, repoPub
}

func TestMain(m *testing.M) {
	code := m.Run()
	if repoDir != "" {
		os.RemoveAll(repoDir)
	}
	os.Exit(code)
}

// e2eRun builds the set in dir with -j 2 and --keep-going.
func e2eRun(t *testing.T, g *graph.Graph, tmp string) *Report {
	t.Helper()
	repo, pub := baseRepo(t)
	sde := int64(0)
	opts := Options{
		Build: build.Options{
			EnvOptions: build.EnvOptions{
				Repositories: []string{repo}, Keyring: []string{pub},
				ApkCacheDir: filepath.Join(tmp, "apkcache"), CacheDir: filepath.Join(tmp, "melange-cache"),
				SourceDateEpoch: &sde,
			},
			OutDir: filepath.Join(tmp, "packages"), SigningKey: filepath.Join(tmp, "k.rsa"),
		},
		Jobs: 2, KeepGoing: true, LogDir: filepath.Join(tmp, "logs"), Version: "test",
	}
	rep, err := Run(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.Table(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	return rep
}

func outcomes(rep *Report) map[Outcome][]string {
	out := map[Outcome][]string{}
	for _, r := range rep.Results {
		out[r.Outcome] = append(out[r.Outcome], r.Name)
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}

func TestBuildGeneratedSet(t *testing.T) {
	repoDir, _ := baseRepo(t)
	_ = repoDir
	tmp := t.TempDir()
	src := filepath.Join(tmp, "recipes")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	needs := genSet(t, src)
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.WritePair(filepath.Join(tmp, "k.rsa"), k, false); err != nil {
		t.Fatal(err)
	}
	load := func() *graph.Graph {
		files, err := graph.Discover([]string{src})
		if err != nil {
			t.Fatal(err)
		}
		g, err := graph.Load(files, graph.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}

	// First run: everything builds but what fails, needs a failure or
	// is in the cycle.
	rep := e2eRun(t, load(), tmp)
	got := outcomes(rep)
	wantFailed := []string{"bad", "cyc-a", "cyc-b", "missing"}
	wantSkipped := []string{"after-after-bad", "after-bad", "after-cyc", "after-missing"}
	if !slices.Equal(got[Failed], wantFailed) || !slices.Equal(got[Skipped], wantSkipped) {
		t.Errorf("failed %q, skipped %q; want %q and %q", got[Failed], got[Skipped], wantFailed, wantSkipped)
	}
	if n := len(got[Built]); n != len(needs)-8 {
		t.Errorf("%d built, want %d: %q", n, len(needs)-8, got[Built])
	}
	if rep.OK() {
		t.Error("a run with failures is OK")
	}
	checkOrder(t, rep)
	byName := map[string]*Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	if r := byName["bad"]; r.Step != "install" || r.Line != 9 || r.Log == "" {
		t.Errorf("bad failed at step %q line %d log %q, want install at 9 with a log", r.Step, r.Line, r.Log)
	} else if log, _ := os.ReadFile(r.Log); !strings.Contains(string(log), "failing on purpose") {
		t.Errorf("bad's log lacks its output:\n%s", log)
	}
	if r := byName["missing"]; !strings.Contains(r.Why, "no-such-package") {
		t.Errorf("missing failed with %q", r.Why)
	}
	for _, name := range []string{"cyc-a", "cyc-b"} {
		if r := byName[name]; !strings.Contains(r.Why, "cyc-a, cyc-b") || !strings.Contains(r.Why, "closes it") {
			t.Errorf("%s failed with %q, want the cycle and its closing edge", name, r.Why)
		}
	}
	for name, by := range map[string]string{"after-bad": "bad", "after-after-bad": "bad", "after-missing": "missing", "after-cyc": "cyc-a"} {
		if r := byName[name]; r.BlockedBy != by {
			t.Errorf("%s blocked by %q, want %q", name, r.BlockedBy, by)
		}
	}

	// Second run: nothing builds.
	rep = e2eRun(t, load(), tmp)
	got = outcomes(rep)
	if len(got[Built]) != 0 || len(got[UpToDate]) != len(needs)-8 {
		t.Errorf("second run built %q, %d up to date", got[Built], len(got[UpToDate]))
	}

	// Changing a leaf rebuilds exactly it and what needs it.
	leaf := filepath.Join(src, "leaf-0.yaml")
	if err := os.WriteFile(leaf, []byte(genRecipe("leaf-0", nil, "      echo changed\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = e2eRun(t, load(), tmp)
	got = outcomes(rep)
	want := []string{"chain-0", "chain-1", "chain-2", "leaf-0", "left-0", "right-0", "top-0"}
	if !slices.Equal(got[Built], want) {
		t.Errorf("after changing leaf-0, built %q, want %q", got[Built], want)
	}
	checkOrder(t, rep)
	for _, r := range rep.Results {
		if r.Outcome == Built && r.Name != "leaf-0" && !strings.Contains(r.Why, "changed") {
			t.Errorf("%s rebuilt because %q", r.Name, r.Why)
		}
	}
}

// checkOrder fails when a recipe started before a recipe it needs ended.
func checkOrder(t *testing.T, rep *Report) {
	t.Helper()
	byName := map[string]*Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	for _, r := range rep.Results {
		if r.Started == 0 {
			continue
		}
		for _, d := range r.Deps {
			if dr := byName[d]; dr.Finished == 0 || dr.Finished > r.Started {
				t.Errorf("%s started (event %d) before %s ended (event %d)", r.Name, r.Started, d, dr.Finished)
			}
		}
	}
}
