// Package builtin is pestle's library of built-in pipelines: the YAML
// definitions that a recipe step names with `uses:` (fetch, git-checkout,
// patch, strip, autoconf/*, cmake/*, meson/*, go/*, cargo/build,
// python/*, perl/*, ruby/*, npm/install and split/*).
//
// Each definition is a YAML document with four top-level keys: `name`,
// `needs: {packages: [...]}`, `inputs: {NAME: {description, default,
// required}}` and `pipeline: [steps]`, where a step has `name`, `runs`,
// `uses`, `with`, `if`, `working-directory` and `environment`. Inside them,
// `${{inputs.NAME}}` names a declared input and the other `${{...}}`
// references are the recipe variables (`targets.contextdir`,
// `build.arch`, `host.triplet.gnu`, ...). Input names, defaults and
// required flags match the pipelines that existing melange recipes were
// written against, so those recipes work unchanged.
//
// Input values are pasted into scripts as raw text, unquoted, so a
// multi-line `opts` keeps its shell quoting and line continuations; each
// script therefore places list-like inputs last on a command line and
// quotes single-value inputs itself. Scripts run under busybox ash with
// `set -eo pipefail`, one sandbox invocation per step.
//
// fetch and git-checkout are carried out by pestle on the host side (the
// sandbox has no network); their sandbox-side steps document the same
// semantics and work if run in a sandbox that has network.
//
// The package only embeds data: FS holds the files rooted at the
// pipelines directory ("autoconf/configure.yaml") and Names lists them
// ("autoconf/configure"). Parsing, substitution and `uses:` expansion
// belong to package pipeline, which also holds each definition parsed
// ahead of time (pipeline/builtinspec.go, so that a process compiling one
// recipe parses no built-in YAML): after changing a file here, run
// `go test ./pipeline -run BuiltinSpecs -update`.
package builtin
