// Package build carries out `pestle build` and `pestle test`.
//
// Build runs six phases, each a function of its own in phases.go:
//
//	compile      the recipe into a plan (pipeline.Compile)
//	environment  resolve the guest packages, make (or reuse) the cached
//	             guest root, open the session over it
//	workspace    copy the source dir in, make melange-out/<package>
//	steps        host-side source steps (fetch, git-checkout) and sandbox
//	             steps, package by package
//	emit         scan, lint and describe every output tree, then pack,
//	             sign and write each (sub)package atomically into
//	             <out>/<arch>/
//	index        merge them into the signed APKINDEX.tar.gz
//
// Test runs compile, then environment, workspace and steps for each
// package with a test. Options (build) and TestOptions (test) share
// EnvOptions; Options.Runner / EnvOptions.Runner replaces bubblewrap (the
// tests use a recording fake).
//
// It never prints: progress goes to the *slog.Logger and step output to
// the writers in EnvOptions.
package build
