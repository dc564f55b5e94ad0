package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// JSON renders the graph as indented JSON ending with a newline.
func (g *Graph) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DOT renders the graph in Graphviz's language: one node per recipe
// (recipes in a cycle in red, those not built for the architecture
// dashed) and one edge from each recipe to each recipe it needs, labelled
// with the kind and name of one need (a hard one if any): soft edges
// dashed, and dotted when they close a cycle.
func (g *Graph) DOT() []byte {
	var b strings.Builder
	b.WriteString("digraph recipes {\n  rankdir=LR;\n  node [shape=box];\n")
	for _, n := range g.Nodes {
		attrs := []string{"label=" + strconv.Quote(n.Name+"\n"+n.Version)}
		if n.InCycle {
			attrs = append(attrs, "color=red")
		}
		if n.NotTargeted != "" {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s [%s];\n", strconv.Quote(n.Name), strings.Join(attrs, ", "))
	}
	for _, e := range g.Edges {
		label := e.Kind + ": " + e.Need
		if e.Via != "" {
			label += " (of " + e.Via + ")"
		}
		style := ""
		switch {
		case e.Dropped:
			style = ", style=dotted"
		case !e.Hard:
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", strconv.Quote(e.From), strconv.Quote(e.To), strconv.Quote(label), style)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// Summary is one line per figure: recipes, edges, depth, width, the
// largest strongly connected component of hard edges, each cycle and
// each note.
func (g *Graph) Summary() string {
	var b strings.Builder
	hard := 0
	for _, e := range g.Edges {
		if e.Hard {
			hard++
		}
	}
	fmt.Fprintf(&b, "%d recipes, %d edges (%d hard), depth %d, width %d\n", len(g.Nodes), len(g.Edges), hard, g.Depth, g.Width)
	if len(g.LargestSCC) > 1 {
		fmt.Fprintf(&b, "largest strongly connected component: %d recipes (%s)\n", len(g.LargestSCC), strings.Join(g.LargestSCC, ", "))
	} else {
		b.WriteString("no cycles\n")
	}
	if len(g.LargestBuildSCC) > 1 {
		fmt.Fprintf(&b, "through build environments alone: largest strongly connected component %d recipes (%s)\n", len(g.LargestBuildSCC), strings.Join(g.LargestBuildSCC, ", "))
	} else {
		b.WriteString("through build environments alone: no cycles\n")
	}
	for _, c := range g.Cycles {
		b.WriteString(c.Error() + "\n")
	}
	for _, n := range g.Notes {
		b.WriteString("note: " + n + "\n")
	}
	return b.String()
}
