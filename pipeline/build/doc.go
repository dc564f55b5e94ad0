// Package build carries out `pestle build`: it compiles a recipe, assembles
// the guest root from repository packages (cached by the content of the
// resolved set), prepares the workspace, runs host-side source steps
// (fetch, git-checkout) and sandbox steps, then packs, signs and writes
// each (sub)package atomically into <out>/<arch>/ and merges them into the
// signed APKINDEX.tar.gz.
//
// It never prints: progress goes to the *slog.Logger and step output to
// the writers in Options.
package build
