package graph

import (
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func loadSet(t *testing.T) *Graph {
	t.Helper()
	files, err := Discover([]string{filepath.Join("testdata", "set")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Load(files, Options{Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDiscover(t *testing.T) {
	files, err := Discover([]string{"testdata/set", "testdata/set/a.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.ToSlash(f))
	}
	want := []string{"testdata/set/a.yaml", "testdata/set/arm.yaml", "testdata/set/b.yaml", "testdata/set/broken.yaml",
		"testdata/set/c.yaml", "testdata/set/d.yaml", "testdata/set/sub/melange.yaml", "testdata/set/x.yaml",
		"testdata/set/y.yaml", "testdata/set/z.yaml"}
	if !slices.Equal(names, want) {
		t.Errorf("Discover = %q, want %q", names, want)
	}
	if _, err := Discover([]string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "no recipes") {
		t.Errorf("a folder without recipes: err = %v", err)
	}
	if _, err := Discover([]string{"testdata/missing"}); err == nil {
		t.Error("a missing path gave no error")
	}
}

func TestEdges(t *testing.T) {
	g := loadSet(t)
	deps := map[string][]string{}
	for _, n := range g.Nodes {
		deps[n.Name] = n.Deps
	}
	want := map[string][]string{
		"a": nil, "b": {"a"}, "c": {"a"}, "d": {"b", "c"}, "x": {"y"}, "y": {"x"}, "z": {"x"},
		"arm": nil, "broken": {"a"}, "sub": {"d"},
	}
	for name, w := range want {
		if !slices.Equal(deps[name], w) {
			t.Errorf("%s needs %q, want %q", name, deps[name], w)
		}
	}
	if n := g.Node("broken"); n.Warning == "" || !strings.Contains(n.Warning, "no/such-pipeline") {
		t.Errorf("broken recipe's warning = %q", n.Warning)
	}
	if n := g.Node("arm"); n.NotTargeted == "" {
		t.Error("arm is built for x86_64")
	}
	if !slices.Contains(g.Node("a").Provides, "virt-a") || !slices.Contains(g.Node("a").Packages, "a-dev") {
		t.Errorf("a provides %q, packages %q", g.Node("a").Provides, g.Node("a").Packages)
	}
}

func TestOrder(t *testing.T) {
	g := loadSet(t)
	want := []string{"a", "b", "broken", "c", "z", "d", "sub"}
	// z is on level 2 behind the cycle, which is level 1 and left out.
	if !slices.Equal(g.Order, want) {
		t.Errorf("order = %q, want %q", g.Order, want)
	}
	pos := map[string]int{}
	for i, n := range g.Order {
		pos[n] = i
	}
	for _, e := range g.Edges {
		pf, okf := pos[e.From]
		pt, okt := pos[e.To]
		if okf && okt && pt >= pf {
			t.Errorf("%s comes before its dependency %s", e.From, e.To)
		}
	}
	if g.Depth != 4 || g.Width != 4 {
		t.Errorf("depth %d width %d, want 4 and 4", g.Depth, g.Width)
	}
}

func TestCycle(t *testing.T) {
	g := loadSet(t)
	if len(g.Cycles) != 1 {
		t.Fatalf("%d cycles, want 1: %+v", len(g.Cycles), g.Cycles)
	}
	c := g.Cycles[0]
	if !slices.Equal(c.Recipes, []string{"x", "y"}) || !slices.Equal(g.LargestSCC, []string{"x", "y"}) {
		t.Errorf("cycle recipes %q, largest SCC %q", c.Recipes, g.LargestSCC)
	}
	if c.Closing != (Edge{From: "y", To: "x", Need: "x", Kind: KindTest}) {
		t.Errorf("closing edge %+v", c.Closing)
	}
	msg := c.Error()
	for _, s := range []string{"x needs y (environment y)", "y needs x (test x)", "the edge y → x closes it"} {
		if !strings.Contains(msg, s) {
			t.Errorf("cycle error %q lacks %q", msg, s)
		}
	}
	if !g.Node("x").InCycle || g.Node("z").InCycle {
		t.Error("InCycle is wrong for x or z")
	}
}

func TestDuplicateName(t *testing.T) {
	_, err := Load([]string{"testdata/set/a.yaml", "testdata/set/a.yaml"}, Options{Arch: "x86_64"})
	if err == nil || !strings.Contains(err.Error(), "both build package a") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadError(t *testing.T) {
	_, err := Load([]string{"testdata/README.md"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "README.md") {
		t.Errorf("err = %v", err)
	}
}

func TestRender(t *testing.T) {
	g := loadSet(t)
	js, err := g.JSON()
	if err != nil {
		t.Fatal(err)
	}
	fixture.Golden(t, filepath.Join("testdata", "golden", "set.json"), js, *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "set.dot"), g.DOT(), *update)
	fixture.Golden(t, filepath.Join("testdata", "golden", "set.txt"), []byte(g.Summary()), *update)
}

func TestDepName(t *testing.T) {
	for in, want := range map[string]string{
		"foo": "foo", "foo>=1.2": "foo", "so:libz.so.1=1.3": "so:libz.so.1", "!foo": "", "": "",
		"cmd:sh": "cmd:sh", "bar@edge": "bar", "baz~1": "baz", "bad name>=": "bad",
	} {
		if got := depName(in); got != want {
			t.Errorf("depName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBuildOnlyCycle(t *testing.T) {
	node := func(name string, needs ...Need) *Node {
		return &Node{Name: name, Recipe: name + ".yaml", Packages: []string{name}, Provides: []string{name}, Needs: needs}
	}
	// p ⇄ q through build environments; s needs p to build and p needs
	// s to test, so the whole cycle is p, q, s but only p, q remain when
	// ordering by build environments alone.
	g, err := link([]*Node{
		node("p", Need{"q", KindBuild}, Need{"s", KindTest}),
		node("q", Need{"p", KindBuild}),
		node("s", Need{"p", KindBuild}),
		node("t", Need{"s", KindRuntime}),
		// u and v both provide virt and need it: each meets its own need.
		{Name: "u", Packages: []string{"u"}, Provides: []string{"u", "virt"}, Needs: []Need{{"virt", KindRuntime}}},
		{Name: "v", Packages: []string{"v"}, Provides: []string{"v", "virt"}, Needs: []Need{{"virt", KindRuntime}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Cycles) != 1 || !slices.Equal(g.Cycles[0].Recipes, []string{"p", "q", "s"}) {
		t.Fatalf("cycles %+v", g.Cycles)
	}
	if g.Cycles[0].BuildOnly != 2 || !slices.Equal(g.LargestBuildSCC, []string{"p", "q"}) {
		t.Errorf("build-only: %d recipes, largest %q", g.Cycles[0].BuildOnly, g.LargestBuildSCC)
	}
	if len(g.Node("u").Deps) != 0 || len(g.Node("v").Deps) != 0 {
		t.Errorf("a recipe providing what it needs depends on another: u %q, v %q", g.Node("u").Deps, g.Node("v").Deps)
	}
	if msg := g.Cycles[0].Error(); !strings.Contains(msg, "2 of them are still in cycles") {
		t.Errorf("cycle error: %s", msg)
	}
}
