package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/pestle-dev/pestle/pipeline"
)

// Kinds of needs.
const (
	KindBuild   = "environment" // build environment and pipeline needs
	KindTest    = "test"        // a test environment
	KindRuntime = "runtime"     // a package's runtime dependencies
)

// Need is a package name a recipe needs, and why.
type Need struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// Node is one recipe.
type Node struct {
	Recipe  string `json:"recipe"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Packages are the origin then each subpackage.
	Packages []string `json:"packages"`
	// Provides are the names the recipe's packages can be installed as.
	Provides []string `json:"provides"`
	Needs    []Need   `json:"needs,omitempty"`
	// Deps are the names of the recipes built before this one: those it
	// needs, but for soft needs that close a cycle.
	Deps []string `json:"deps,omitempty"`
	// Level is 1 for a recipe that needs no other, else one more than
	// the highest level among those it needs.
	Level int `json:"level"`
	// NotTargeted says why the recipe is not built for the architecture.
	NotTargeted string `json:"not-targeted,omitempty"`
	// Warning is set when the recipe does not compile.
	Warning string `json:"warning,omitempty"`
	// InCycle is set for a recipe in a dependency cycle.
	InCycle bool `json:"in-cycle,omitempty"`
	// Plan is the compiled recipe (nil when it did not compile).
	Plan *pipeline.Plan `json:"-"`

	deps      []int // recipes ordered before this one
	buildDeps []int // deps through the build environment alone
}

// Edge says that recipe From needs a package that recipe To builds.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Need string `json:"need"`
	Kind string `json:"kind"`
	// Via is set on a runtime need of recipe Via, whose package From
	// installs into its build environment.
	Via string `json:"via,omitempty"`
	// Hard is set when To must be built before From can build: a build
	// environment need, or a runtime need of a package installed into
	// one. A test or a recipe's own runtime need is soft: only who tests
	// or installs its packages needs it.
	Hard bool `json:"hard"`
	// Dropped is set on a soft edge that closes a cycle: the order does
	// not follow it (see Graph.Notes).
	Dropped bool `json:"dropped,omitempty"`
}

func (e Edge) String() string {
	if e.Via != "" {
		return fmt.Sprintf("%s needs %s (runtime %s of %s, installed in its build environment)", e.From, e.To, e.Need, e.Via)
	}
	return fmt.Sprintf("%s needs %s (%s %s)", e.From, e.To, e.Kind, e.Need)
}

// Cycle is a strongly connected component of more than one recipe.
type Cycle struct {
	// Recipes are every recipe of the component, sorted.
	Recipes []string `json:"recipes"`
	// Path is one cycle through the component, from its first recipe
	// back to it; Closing is its last edge.
	Path    []Edge `json:"path"`
	Closing Edge   `json:"closing"`
	// BuildOnly counts the recipes that are in a cycle through build
	// environments alone: those that ordering by the build environment,
	// as melange-based tools do, cannot order either.
	BuildOnly int `json:"build-only"`
}

func (c Cycle) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "dependency cycle among %d recipes (%s): ", len(c.Recipes), strings.Join(c.Recipes, ", "))
	for i, e := range c.Path {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.String())
	}
	fmt.Fprintf(&b, "; the edge %s → %s closes it: build one of them from the repositories first, or drop that need", c.Closing.From, c.Closing.To)
	switch {
	case c.BuildOnly == 0:
		b.WriteString(" (by build environments alone, the order melange-based tools use, there is no cycle here: runtime needs of packages installed into a build environment close it)")
	case c.BuildOnly < len(c.Recipes):
		fmt.Fprintf(&b, " (by build environments alone, the order melange-based tools use, %d of them are still in cycles)", c.BuildOnly)
	}
	return b.String()
}

// Graph is the linked set of recipes.
type Graph struct {
	// Nodes are sorted by name.
	Nodes []*Node `json:"nodes"`
	Edges []Edge  `json:"edges"`
	// Order is a build order: dependencies first, recipes in cycles and
	// those not built for the architecture left out.
	Order  []string `json:"order"`
	Cycles []Cycle  `json:"cycles,omitempty"`
	// Notes name each soft edge left out of the order because it closes
	// a cycle.
	Notes []string `json:"notes,omitempty"`
	// Depth is the number of levels; Width the most recipes on one.
	Depth int `json:"depth"`
	Width int `json:"width"`
	// LargestSCC is the biggest strongly connected component of hard
	// edges (one recipe when there is no cycle); LargestBuildSCC the
	// biggest through build environment edges alone.
	LargestSCC      []string `json:"largest-scc"`
	LargestBuildSCC []string `json:"largest-build-scc"`

	byName  map[string]int
	edgesOf []int // node i's edges are Edges[edgesOf[i]:edgesOf[i+1]]
}

// Node returns the node called name, or nil.
func (g *Graph) Node(name string) *Node {
	if i, ok := g.byName[name]; ok {
		return g.Nodes[i]
	}
	return nil
}

// link connects nodes by their needs and provides.
func link(nodes []*Node) (*Graph, error) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Name < nodes[j].Name })
	g := &Graph{Nodes: nodes, byName: make(map[string]int, len(nodes)), Edges: []Edge{}, Order: []string{}}
	for i, n := range nodes {
		if j, dup := g.byName[n.Name]; dup {
			return nil, fmt.Errorf("%s and %s both build package %s: keep one of them in the set", nodes[j].Recipe, n.Recipe, n.Name)
		}
		g.byName[n.Name] = i
	}
	direct := g.directEdges()
	per := make([][]Edge, len(nodes))
	total := 0
	for i, n := range nodes {
		if n.NotTargeted == "" {
			per[i] = g.linkNode(i, direct)
			total += len(per[i])
		}
	}
	g.Edges = make([]Edge, 0, total)
	g.edgesOf = make([]int, len(nodes)+1)
	for i, es := range per {
		g.edgesOf[i] = len(g.Edges)
		g.Edges = append(g.Edges, es...)
	}
	g.edgesOf[len(nodes)] = len(g.Edges)
	g.analyze()
	return g, nil
}

// directEdges returns, for each node, its needs met by another recipe:
// one edge per (need, recipe).
func (g *Graph) directEdges() [][]Edge {
	owner := map[string]int{}     // real package name → recipe
	virtual := map[string][]int{} // provides name → recipes
	for i, n := range g.Nodes {
		if n.NotTargeted != "" {
			continue
		}
		for _, p := range n.Packages {
			if _, ok := owner[p]; !ok {
				owner[p] = i
			}
		}
		for _, p := range n.Provides {
			virtual[p] = append(virtual[p], i)
		}
	}
	out := make([][]Edge, len(g.Nodes))
	for i, n := range g.Nodes {
		if n.NotTargeted != "" {
			continue
		}
		for _, need := range n.Needs {
			if _, self := slices.BinarySearch(n.Provides, need.Name); self {
				continue // the recipe's own packages meet it
			}
			to := virtual[need.Name]
			if j, ok := owner[need.Name]; ok {
				to = []int{j}
			}
			for _, j := range to {
				if j != i {
					out[i] = append(out[i], Edge{From: n.Name, To: g.Nodes[j].Name, Need: need.Name, Kind: need.Kind, Hard: need.Kind == KindBuild})
				}
			}
		}
	}
	return out
}

// linkNode gives node i its edges: its direct needs, and the runtime
// needs, transitively, of the recipes it installs into its build
// environment. Each pair of recipes gets one edge, hard when any is.
func (g *Graph) linkNode(i int, direct [][]Edge) []Edge {
	n := g.Nodes[i]
	best := map[int]Edge{}
	var targets []int
	add := func(j int, e Edge) {
		old, seen := best[j]
		if !seen {
			targets = append(targets, j)
		}
		if !seen || (e.Hard && !old.Hard) {
			best[j] = e
		}
	}
	var queue []int
	installed := map[int]bool{}
	for _, e := range direct[i] {
		j := g.byName[e.To]
		add(j, e)
		if e.Hard && !installed[j] {
			installed[j] = true
			queue = append(queue, j)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		for _, e := range direct[k] {
			j := g.byName[e.To]
			if e.Kind != KindRuntime || j == i {
				continue
			}
			add(j, Edge{From: n.Name, To: e.To, Need: e.Need, Kind: KindRuntime, Via: e.From, Hard: true})
			if !installed[j] {
				installed[j] = true
				queue = append(queue, j)
			}
		}
	}
	slices.Sort(targets)
	edges := make([]Edge, 0, len(targets))
	for _, j := range targets {
		e := best[j]
		edges = append(edges, e)
		n.deps = append(n.deps, j)
		if e.Hard && e.Via == "" {
			n.buildDeps = append(n.buildDeps, j)
		}
	}
	n.Deps = g.names(n.deps)
	return edges
}
