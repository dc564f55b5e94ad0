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
	// Deps are the names of the recipes this one needs.
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

	deps      []int
	buildDeps []int // deps through the build environment alone
}

// Edge says that recipe From needs a package that recipe To builds.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Need string `json:"need"`
	Kind string `json:"kind"`
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
		fmt.Fprintf(&b, "%s needs %s (%s %s)", e.From, e.To, e.Kind, e.Need)
	}
	fmt.Fprintf(&b, "; the edge %s → %s closes it: build one of them from the repositories first, or drop that need", c.Closing.From, c.Closing.To)
	switch {
	case c.BuildOnly == 0:
		b.WriteString(" (by build environments alone, the order melange-based tools use, there is no cycle here: test or runtime needs close it)")
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
	// Depth is the number of levels; Width the most recipes on one.
	Depth int `json:"depth"`
	Width int `json:"width"`
	// LargestSCC is the biggest strongly connected component (one recipe
	// when there is no cycle); LargestBuildSCC the biggest through build
	// environment edges alone.
	LargestSCC      []string `json:"largest-scc"`
	LargestBuildSCC []string `json:"largest-build-scc"`

	byName map[string]int
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
	owner := map[string]int{}     // real package name → recipe
	virtual := map[string][]int{} // provides name → recipes
	for i, n := range nodes {
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
	for i, n := range nodes {
		if n.NotTargeted != "" {
			continue
		}
		seen, seenBuild := map[int]bool{}, map[int]bool{}
		for _, need := range n.Needs {
			if _, self := slices.BinarySearch(n.Provides, need.Name); self {
				continue // the recipe's own packages meet it
			}
			var to []int
			if j, ok := owner[need.Name]; ok {
				to = []int{j}
			} else {
				to = virtual[need.Name]
			}
			for _, j := range to {
				if j != i && need.Kind == KindBuild && !seenBuild[j] {
					seenBuild[j] = true
					n.buildDeps = append(n.buildDeps, j)
				}
				if j == i || seen[j] {
					continue
				}
				seen[j] = true
				n.deps = append(n.deps, j)
				g.Edges = append(g.Edges, Edge{From: n.Name, To: nodes[j].Name, Need: need.Name, Kind: need.Kind})
			}
		}
		slices.Sort(n.deps)
		for _, j := range n.deps {
			n.Deps = append(n.Deps, nodes[j].Name)
		}
	}
	g.analyze()
	return g, nil
}
