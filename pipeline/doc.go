// Package pipeline turns a melange YAML recipe into a compiled build plan.
//
// Load parses a recipe strictly (unknown keys are errors with file:line:col
// and a "did you mean" hint; scalars keep their YAML text, so version 1.10
// stays "1.10"). Compile then resolves it for one architecture: it
// substitutes ${{…}} (and the $<<…>> alias) variables, applies vars,
// --vars-file, var-transforms and build options, expands data ranges into
// subpackages, evaluates if: conditions, inlines uses: pipelines from
// pipeline directories or the embedded library with their inputs checked,
// and merges the needs of every step that can run into the environment.
//
// The result, a Plan, is pure data: it runs nothing and touches no sandbox.
// Steps that fetch sources (uses: fetch, uses: git-checkout) stay marked as
// host-side steps with their resolved inputs, because the build runs them
// on the host rather than in the sandbox. Every step records the recipe
// line it came from.
package pipeline
