package pipeline

import (
	"maps"
	"strings"

	"github.com/pestle-dev/pestle/sandbox"
)

// Plan is a recipe compiled for one architecture: everything a build needs
// to run it, with every variable substituted and every uses: inlined.
type Plan struct {
	// File is the recipe the plan was compiled from (as named to Load).
	File         string        `json:"file"`
	Arch         string        `json:"arch"`
	Package      PackageInfo   `json:"package"`
	Environment  BuildEnv      `json:"environment"`
	Capabilities Capabilities  `json:"capabilities,omitzero"`
	Packages     []PackagePlan `json:"packages"`
	Tests        []TestPlan    `json:"tests,omitempty"`
	// Skipped are the subpackages left out because their if: is false
	// (melange's compile lists them too; its build leaves them out).
	Skipped  []SkippedPackage `json:"skipped,omitempty"`
	Warnings []string         `json:"warnings,omitempty"`
}

// SkippedPackage is a subpackage whose if: is false: not built.
type SkippedPackage struct {
	Name string `json:"name"`
	// After names the package built just before it in recipe order.
	After string `json:"after"`
	If    string `json:"if"`
	Line  int    `json:"line,omitempty"`
}

// PackageInfo is the origin package's metadata.
type PackageInfo struct {
	Name               string      `json:"name"`
	Version            string      `json:"version"`
	Epoch              uint64      `json:"epoch"`
	FullVersion        string      `json:"full-version"`
	Description        string      `json:"description,omitempty"`
	URL                string      `json:"url,omitempty"`
	Commit             string      `json:"commit,omitempty"`
	TargetArchitecture []string    `json:"target-architecture,omitempty"`
	Copyright          []Copyright `json:"copyright,omitempty"`
	// License is the SPDX expression made from Copyright.
	License       string     `json:"license,omitempty"`
	CPE           *CPE       `json:"cpe,omitempty"`
	Timeout       string     `json:"timeout,omitempty"`
	Resources     *Resources `json:"resources,omitempty"`
	TestResources *Resources `json:"test-resources,omitempty"`
}

// BuildEnv is the guest environment of a build or a test.
type BuildEnv struct {
	// Repositories are used to resolve Packages (repositories, then
	// build_repositories of the recipe).
	Repositories []string `json:"repositories,omitempty"`
	Keyring      []string `json:"keyring,omitempty"`
	// Packages is sorted and de-duplicated; it includes the needs of every
	// step that runs.
	Packages []string          `json:"packages"`
	Accounts Accounts          `json:"accounts"`
	Env      map[string]string `json:"env,omitempty"`
}

// PackagePlan is one package to build and emit: the origin first, then
// each subpackage in recipe order (ranges expanded, false if: dropped).
type PackagePlan struct {
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	URL          string            `json:"url,omitempty"`
	Commit       string            `json:"commit,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Dependencies Dependencies      `json:"dependencies,omitzero"`
	Options      *PackageOptions   `json:"options,omitempty"`
	Scriptlets   *Scriptlets       `json:"scriptlets,omitempty"`
	Checks       Checks            `json:"checks,omitzero"`
	SetCap       []SetCap          `json:"setcap,omitempty"`
	Copyright    []Copyright       `json:"copyright,omitempty"`
	// Line is where the (sub)package is declared in the recipe.
	Line  int    `json:"line,omitempty"`
	Steps []Step `json:"steps"`
}

// TestPlan is one test run: a fresh environment holding Package.
type TestPlan struct {
	Package     string   `json:"package"`
	Environment BuildEnv `json:"environment"`
	Steps       []Step   `json:"steps"`
}

// Step is one unit of work. A sandbox step runs Script with /bin/sh in
// WorkingDirectory; a host step (Host set) is carried out by pestle itself
// on the host with the resolved inputs in With.
type Step struct {
	// Name is the step's name, or for anonymous steps of a uses: pipeline
	// the name (or uses) of the recipe step that pulled them in.
	Name string `json:"name,omitempty"`
	// Uses is the pipeline this step comes from, if any.
	Uses string `json:"uses,omitempty"`
	// Host is "fetch" or "git-checkout" for steps run on the host.
	Host string            `json:"host,omitempty"`
	With map[string]string `json:"with,omitempty"`
	// WorkingDirectory is absolute (relative ones are under /home/build).
	WorkingDirectory string `json:"working-directory"`
	// Env holds the step's own variables (inherited from enclosing steps);
	// Plan.StepEnv gives the full environment.
	Env    map[string]string `json:"env,omitempty"`
	Script string            `json:"script,omitempty"`
	// If is the condition as written; it held when the plan was compiled.
	If    string `json:"if,omitempty"`
	Label string `json:"label,omitempty"`
	Retry *Retry `json:"retry,omitempty"`
	// Line is the recipe line of the step (for steps of a uses: pipeline,
	// the line of the recipe step that uses it).
	Line int `json:"line"`
	// Source is "file:line" of the script inside a pipeline definition.
	Source string `json:"source,omitempty"`
}

// StepEnv returns the full environment of step s: the environment's
// variables, then PATH, then the step's own (later wins).
func (p *Plan) StepEnv(s Step) map[string]string {
	env := maps.Clone(p.Environment.Env)
	if env == nil {
		env = map[string]string{}
	}
	env["PATH"] = sandbox.DefaultPath
	maps.Copy(env, s.Env)
	return env
}

// Command returns the argv that runs s in the sandbox: /bin/sh -c with a
// prologue that stops at the first error (set -x too when debug), creates
// and enters the working directory, then the script, then exit 0.
func (s Step) Command(debug bool) []string {
	flags := "-eo pipefail"
	if debug {
		flags = "-exo pipefail"
	}
	wd := shellQuote(s.WorkingDirectory)
	script := "set " + flags + "\n[ -d " + wd + " ] || mkdir -p " + wd + "\ncd " + wd + "\n" + s.Script
	if !strings.HasSuffix(script, "\n") {
		script += "\n"
	}
	script += "exit 0"
	return []string{"/bin/sh", "-c", script}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// QuoteArg is s as a POSIX shell word, for commands shown to the user:
// as it is when it holds only letters, digits and @%_+=:,./-, else
// quoted.
func QuoteArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-") == "" {
		return s
	}
	return shellQuote(s)
}
