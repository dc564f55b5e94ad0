// Package batch builds a graph of recipes (see pipeline/graph) in
// dependency order, several at once, each into the shared out-dir
// repository before its dependants resolve their environment. A recipe
// whose key (a digest of everything its packages are made from) matches
// the one recorded beside its packages, and whose packages are still there
// and verify, is up to date and not built again. A failure skips only the
// recipes that need it; the run ends with a report of every recipe.
package batch
