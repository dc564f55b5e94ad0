package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// tarjan returns the strongly connected components of the graph whose
// edges are adj, each after every component it can reach (dependencies
// first).
func tarjan(adj [][]int) [][]int {
	index := make([]int, len(adj))
	low := make([]int, len(adj))
	on := make([]bool, len(adj))
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		on[v] = true
		for _, w := range adj[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if on[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var comp []int
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			on[w] = false
			comp = append(comp, w)
			if w == v {
				break
			}
		}
		sort.Ints(comp)
		out = append(out, comp)
	}
	for v := range adj {
		if index[v] < 0 {
			visit(v)
		}
	}
	return out
}

// analyze finds the cycles, levels, order, depth and width.
func (g *Graph) analyze() {
	g.dropSoftCycles()
	adj := make([][]int, len(g.Nodes))
	buildAdj := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		adj[i], buildAdj[i] = n.deps, n.buildDeps
	}
	comps := tarjan(adj)       // its cycles are of hard edges alone
	buildComp := map[int]int{} // node → its build-only component, when cyclic
	for c, comp := range tarjan(buildAdj) {
		if len(comp) > len(g.LargestBuildSCC) {
			g.LargestBuildSCC = g.names(comp)
		}
		if len(comp) > 1 {
			for _, v := range comp {
				buildComp[v] = c
			}
		}
	}
	compOf := make([]int, len(g.Nodes))
	for c, comp := range comps {
		for _, v := range comp {
			compOf[v] = c
		}
	}
	level := make([]int, len(comps))
	largest := []int{}
	for c, comp := range comps {
		lv := 0
		for _, v := range comp {
			for _, w := range g.Nodes[v].deps {
				if compOf[w] != c {
					lv = max(lv, level[compOf[w]])
				}
			}
		}
		level[c] = lv + 1
		if len(comp) > len(largest) {
			largest = comp
		}
		if len(comp) > 1 {
			cy := g.cycle(comp, compOf, c)
			for _, v := range comp {
				if _, ok := buildComp[v]; ok {
					cy.BuildOnly++
				}
			}
			g.Cycles = append(g.Cycles, cy)
		}
	}
	perLevel := map[int]int{}
	for v, n := range g.Nodes {
		n.Level = level[compOf[v]]
		n.InCycle = len(comps[compOf[v]]) > 1
		perLevel[n.Level]++
		g.Depth = max(g.Depth, n.Level)
	}
	for _, k := range perLevel {
		g.Width = max(g.Width, k)
	}
	g.LargestSCC = g.names(largest)
	order := make([]*Node, 0, len(g.Nodes))
	for _, n := range g.Nodes {
		if !n.InCycle && n.NotTargeted == "" {
			order = append(order, n)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Level < order[j].Level })
	for _, n := range order {
		g.Order = append(g.Order, n.Name)
	}
	sort.Slice(g.Cycles, func(i, j int) bool { return g.Cycles[i].Recipes[0] < g.Cycles[j].Recipes[0] })
}

// dropSoftCycles leaves out of each node's deps the soft edges that
// close a cycle, in the order of the edges, and notes each one. Only soft
// edges inside a strongly connected component of all edges can close one;
// each is kept unless its target already reaches its source through the
// hard edges and the soft edges kept so far.
func (g *Graph) dropSoftCycles() {
	all := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		all[i] = n.deps
	}
	compOf := make([]int, len(g.Nodes))
	cyclic := false
	for c, comp := range tarjan(all) {
		for _, v := range comp {
			compOf[v] = c
		}
		cyclic = cyclic || len(comp) > 1
	}
	if !cyclic {
		return
	}
	kept := make([][]int, len(g.Nodes))
	var pending []int // indexes into g.Edges of soft edges inside a component
	for k, e := range g.Edges {
		from, to := g.byName[e.From], g.byName[e.To]
		if e.Hard || compOf[from] != compOf[to] {
			kept[from] = append(kept[from], to)
		} else {
			pending = append(pending, k)
		}
	}
	for _, k := range pending {
		e := &g.Edges[k]
		from, to := g.byName[e.From], g.byName[e.To]
		path := g.path(kept, to, from, compOf)
		if path == nil {
			kept[from] = append(kept[from], to)
			continue
		}
		e.Dropped = true
		back := make([]string, 0, len(path))
		for i := 1; i < len(path); i++ {
			back = append(back, g.edge(path[i-1], path[i]).String())
		}
		g.Notes = append(g.Notes, fmt.Sprintf("%s closes a cycle (%s), and a %s need does not have to be built first: %s is ordered without it",
			e, strings.Join(back, ", "), e.Kind, e.From))
	}
	for i, n := range g.Nodes {
		slices.Sort(kept[i])
		n.deps = kept[i]
		n.Deps = g.names(n.deps)
	}
}

// path returns a shortest path from a to b through adj within a's
// component, or nil.
func (g *Graph) path(adj [][]int, a, b int, compOf []int) []int {
	parent := map[int]int{a: -1}
	queue := []int{a}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == b {
			var p []int
			for ; v >= 0; v = parent[v] {
				p = append(p, v)
			}
			slices.Reverse(p)
			return p
		}
		for _, w := range adj[v] {
			if _, seen := parent[w]; !seen && compOf[w] == compOf[a] {
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}

// names returns the names of nodes vs.
func (g *Graph) names(vs []int) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, g.Nodes[v].Name)
	}
	return out
}

// cycle finds a shortest cycle through the first recipe of comp (the
// component numbered c), breadth first.
func (g *Graph) cycle(comp []int, compOf []int, c int) Cycle {
	start := comp[0]
	parent := map[int]int{start: -1}
	queue := []int{start}
	closing := -1
	for len(queue) > 0 && closing < 0 {
		v := queue[0]
		queue = queue[1:]
		for _, w := range g.Nodes[v].deps {
			if w == start {
				closing = v
				break
			}
			if _, seen := parent[w]; !seen && compOf[w] == c {
				parent[w] = v
				queue = append(queue, w)
			}
		}
	}
	var path []int
	for v := closing; v >= 0; v = parent[v] {
		path = append(path, v)
	}
	cy := Cycle{}
	for _, v := range comp {
		cy.Recipes = append(cy.Recipes, g.Nodes[v].Name)
	}
	for i := len(path) - 1; i >= 0; i-- {
		to := start
		if i > 0 {
			to = path[i-1]
		}
		cy.Path = append(cy.Path, g.edge(path[i], to))
	}
	cy.Closing = cy.Path[len(cy.Path)-1]
	return cy
}

// edge returns the first edge from node a to node b.
func (g *Graph) edge(a, b int) Edge {
	from, to := g.Nodes[a].Name, g.Nodes[b].Name
	for _, e := range g.Edges[g.edgesOf[a]:g.edgesOf[a+1]] {
		if e.To == to {
			return e
		}
	}
	return Edge{From: from, To: to}
}
