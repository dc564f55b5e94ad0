package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/lint"
	"github.com/pestle-dev/pestle/pipeline/sbom"
)

// runLint runs the linters over tree; it only reads.
func (e *emitter) runLint(ctx context.Context, pkg pipeline.PackagePlan, tree string) ([]lint.Finding, error) {
	opts := lint.Options{
		Require: e.lintRequire, Warn: e.lintWarn, Disabled: pkg.Checks.Disabled,
		PackageName: pkg.Name, Arch: e.plan.Arch, Tests: e.testUses(pkg.Name),
	}
	return lint.Run(ctx, tree, opts)
}

// reportLint logs what runLint found, keeps it for --persist-lint-results
// and fails on a required finding.
func (e *emitter) reportLint(pkg pipeline.PackagePlan, findings []lint.Finding, err error) error {
	if err != nil {
		return fmt.Errorf("linting %s: %w", pkg.Name, err)
	}
	for _, f := range findings {
		if f.Required {
			e.log.Error("lint", "package", pkg.Name, "linter", f.Linter, "path", f.Path, "problem", f.Message)
		} else {
			e.log.Warn("lint", "package", pkg.Name, "linter", f.Linter, "path", f.Path, "problem", f.Message)
		}
	}
	if e.lintResults != "" {
		r := lint.Results{Package: pkg.Name, Version: e.plan.Package.FullVersion, Arch: e.plan.Arch, Findings: findings}
		if _, err := lint.WriteResults(e.lintResults, r); err != nil {
			return fmt.Errorf("--persist-lint-results: %w", err)
		}
	}
	return lint.Check(pkg.Name, findings)
}

// testUses lists the uses: of the test steps of package name, which some
// linters (pkgconf, lddcheck) take as the check being done by a test.
func (e *emitter) testUses(name string) []string {
	var out []string
	for _, t := range e.plan.Tests {
		if t.Package != name {
			continue
		}
		for _, s := range t.Steps {
			if s.Uses != "" {
				out = append(out, s.Uses)
			}
		}
	}
	return out
}

// writeSBOM puts the package's SPDX document into its tree.
func (e *emitter) writeSBOM(pkg pipeline.PackagePlan, info *apk.PackageInfo, tree string) error {
	main := e.plan.Package
	var attest []string
	for _, c := range main.Copyright {
		if c.Attestation != "" {
			attest = append(attest, c.Attestation)
		}
	}
	sum := sha256.Sum256(e.recipe)
	in := sbom.Input{
		Name: info.Name, Version: info.Version, Arch: info.Arch, License: info.License,
		Namespace: e.maint, Description: info.Description, URL: info.URL, Copyright: attest,
		Sources: e.sourcesFor(pkg.Name), RecipePath: filepath.Base(e.plan.File),
		RecipeSHA256: hex.EncodeToString(sum[:]), Created: e.sde,
		RecipeCommit: e.origin.Commit, RecipeRepoURL: e.origin.RepoURL, RecipeLicense: e.origin.License,
	}
	if pkg.Name != main.Name {
		in.Origin = main.Name
	}
	if _, err := sbom.Write(tree, in); err != nil {
		return fmt.Errorf("SBOM of %s: %w", pkg.Name, err)
	}
	return nil
}

// sourcesFor is what package name was built from: the main package's
// sources, plus the subpackage's own.
func (e *emitter) sourcesFor(name string) []sbom.Source {
	var out []sbom.Source
	for _, s := range e.sources {
		if s.Package != e.plan.Package.Name && s.Package != name {
			continue
		}
		out = append(out, sbom.Source{
			Kind: s.Kind, URI: s.URI, SHA256: s.SHA256, SHA512: s.SHA512, Commit: s.Commit,
			Tag: s.Tag, Branch: s.Branch, PurlName: s.PurlName, PurlVersion: s.PurlVer,
		})
	}
	return out
}
