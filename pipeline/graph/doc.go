// Package graph turns a set of recipes into a build graph: each recipe
// provides its packages (the origin, its subpackages and what they declare
// in provides) and needs its build environment, the needs of the pipelines
// it uses, its test environments and its runtime dependencies. A need met
// by another recipe of the set is an edge; a need met only by the
// repositories is not. Edges of the build environment, and of the runtime
// needs of the set's packages installed into one, are hard: they must be
// built first. Test and a recipe's own runtime needs are soft: the order
// follows them unless one closes a cycle, when it is dropped with a note.
// The graph gives a build order, the cycles of hard edges (strongly
// connected components) with the edge that closes each, and its depth and
// width, and renders as JSON or Graphviz DOT.
package graph
