package graph

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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
	// A FIFO or a folder named like a recipe is not one: reading the FIFO
	// would block the whole set.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "real.yaml"), []byte("package: {name: r}\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Symlink(dir, filepath.Join(dir, "loop.yaml"))
	if files, err := Discover([]string{dir}); err != nil || len(files) != 1 || filepath.Base(files[0]) != "real.yaml" {
		t.Errorf("Discover = %q, %v; want only real.yaml", files, err)
	}
}

func TestEdges(t *testing.T) {
	g := loadSet(t)
	deps := map[string][]string{}
	for _, n := range g.Nodes {
		deps[n.Name] = n.Deps
	}
	want := map[string][]string{
		"a": nil, "b": {"a"}, "c": {"a"}, "d": {"a", "b", "c"}, "x": {"y"}, "y": nil, "z": {"x"},
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
	// y's test needs x, which needs y to build: y comes first.
	want := []string{"a", "y", "b", "broken", "c", "x", "d", "z", "sub"}
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
		if okf && okt && pt >= pf && !e.Dropped {
			t.Errorf("%s comes before its dependency %s", e.From, e.To)
		}
	}
	if g.Depth != 4 || g.Width != 4 {
		t.Errorf("depth %d width %d, want 4 and 4", g.Depth, g.Width)
	}
}

func TestSoftCycle(t *testing.T) {
	g := loadSet(t)
	if len(g.Cycles) != 0 || len(g.LargestSCC) != 1 {
		t.Fatalf("cycles %+v, largest SCC %q", g.Cycles, g.LargestSCC)
	}
	var dropped []Edge
	for _, e := range g.Edges {
		if e.Dropped {
			dropped = append(dropped, e)
		}
	}
	want := Edge{From: "y", To: "x", Need: "x", Kind: KindTest, Dropped: true}
	if len(dropped) != 1 || dropped[0] != want {
		t.Errorf("dropped edges %+v, want %+v", dropped, want)
	}
	if len(g.Notes) != 1 || !strings.Contains(g.Notes[0], "y needs x (test x) closes a cycle (x needs y (environment y))") {
		t.Errorf("notes %q", g.Notes)
	}
	if g.Node("x").InCycle || g.Node("y").InCycle {
		t.Error("x or y is in a cycle")
	}
}

func TestHardCycle(t *testing.T) {
	files, err := Discover([]string{filepath.Join("testdata", "hard")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := Load(files, Options{Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Cycles) != 1 || len(g.Order) != 0 || len(g.Notes) != 0 {
		t.Fatalf("cycles %+v, order %q, notes %q", g.Cycles, g.Order, g.Notes)
	}
	c := g.Cycles[0]
	if c.Closing != (Edge{From: "q", To: "p", Need: "p", Kind: KindBuild, Hard: true}) {
		t.Errorf("closing edge %+v", c.Closing)
	}
	msg := c.Error()
	for _, s := range []string{"2 recipes (p, q)", "p needs q (environment q)", "q needs p (environment p)", "the edge q → p closes it"} {
		if !strings.Contains(msg, s) {
			t.Errorf("cycle error %q lacks %q", msg, s)
		}
	}
	if !g.Node("p").InCycle || !g.Node("q").InCycle {
		t.Error("p or q is not in the cycle")
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

func TestCycles(t *testing.T) {
	node := func(name string, needs ...Need) *Node {
		return &Node{Name: name, Recipe: name + ".yaml", Packages: []string{name}, Provides: []string{name}, Needs: needs}
	}
	for _, tt := range []struct {
		name   string
		nodes  []*Node
		cycles [][]string
		order  []string
		notes  []string // one substring of each note
		msg    string   // in the first cycle's error
	}{{
		name:  "a cycle only through a test environment builds in order",
		nodes: []*Node{node("x", Need{"y", KindBuild}), node("y", Need{"x", KindTest})},
		order: []string{"y", "x"},
		notes: []string{"y needs x (test x) closes a cycle (x needs y (environment y)), and a test need does not have to be built first"},
	}, {
		name:  "a cycle of runtime needs builds in order",
		nodes: []*Node{node("x", Need{"y", KindRuntime}), node("y", Need{"x", KindRuntime})},
		order: []string{"y", "x"},
		notes: []string{"y needs x (runtime x) closes a cycle"},
	}, {
		name:   "a cycle through build environments is an error",
		nodes:  []*Node{node("x", Need{"y", KindBuild}), node("y", Need{"x", KindBuild}), node("z", Need{"x", KindBuild})},
		cycles: [][]string{{"x", "y"}},
		order:  []string{"z"},
		msg:    "dependency cycle among 2 recipes (x, y): x needs y (environment y), y needs x (environment x); the edge y → x closes it",
	}, {
		// p installs q to build, and with it q's runtime need r, which
		// needs p to build.
		name:   "a runtime need of an installed package is hard",
		nodes:  []*Node{node("p", Need{"q", KindBuild}), node("q", Need{"r", KindRuntime}), node("r", Need{"p", KindBuild})},
		cycles: [][]string{{"p", "r"}},
		order:  []string{"q"},
		notes:  []string{"q needs r (runtime r) closes a cycle (r needs p (environment p), p needs q (environment q))"},
		msg:    "p needs r (runtime r of q, installed in its build environment), r needs p (environment p); the edge r → p closes it: build one of them from the repositories first, or drop that need (by build environments alone, the order melange-based tools use, there is no cycle here",
	}, {
		// p ⇄ q to build; s needs p to build and p needs s to test;
		// t needs s at run time; u and v each provide virt and need it.
		name: "a hard cycle with a soft one through it",
		nodes: []*Node{
			node("p", Need{"q", KindBuild}, Need{"s", KindTest}),
			node("q", Need{"p", KindBuild}),
			node("s", Need{"p", KindBuild}),
			node("t", Need{"s", KindRuntime}),
			{Name: "u", Packages: []string{"u"}, Provides: []string{"u", "virt"}, Needs: []Need{{"virt", KindRuntime}}},
			{Name: "v", Packages: []string{"v"}, Provides: []string{"v", "virt"}, Needs: []Need{{"virt", KindRuntime}}},
		},
		cycles: [][]string{{"p", "q"}},
		order:  []string{"u", "v", "s", "t"},
		notes:  []string{"p needs s (test s) closes a cycle"},
		msg:    "dependency cycle among 2 recipes (p, q)",
	}} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := link(tt.nodes)
			if err != nil {
				t.Fatal(err)
			}
			var cycles [][]string
			for _, c := range g.Cycles {
				cycles = append(cycles, c.Recipes)
			}
			if !slices.EqualFunc(cycles, tt.cycles, slices.Equal) {
				t.Errorf("cycles %q, want %q", cycles, tt.cycles)
			}
			if !slices.Equal(g.Order, tt.order) {
				t.Errorf("order %q, want %q", g.Order, tt.order)
			}
			if len(g.Notes) != len(tt.notes) {
				t.Fatalf("notes %q, want %d", g.Notes, len(tt.notes))
			}
			for i, n := range tt.notes {
				if !strings.Contains(g.Notes[i], n) {
					t.Errorf("note %q lacks %q", g.Notes[i], n)
				}
			}
			if tt.msg != "" && (len(g.Cycles) == 0 || !strings.Contains(g.Cycles[0].Error(), tt.msg)) {
				t.Errorf("cycles %+v, want one saying %q", g.Cycles, tt.msg)
			}
			for _, n := range g.Nodes {
				if n.Name == "u" || n.Name == "v" {
					if len(n.Deps) != 0 {
						t.Errorf("%s, which provides what it needs, depends on %q", n.Name, n.Deps)
					}
				}
			}
		})
	}
}
