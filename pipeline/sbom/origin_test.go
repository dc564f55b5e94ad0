package sbom

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestRecipeOrigin: the recipe's repository, commit and license (melange's
// --git-repo-url, --git-commit, --license) describe the recipe package; a
// license that is not an SPDX identifier becomes a LicenseRef with its
// extracted-licensing entry.
func TestRecipeOrigin(t *testing.T) {
	commit := strings.Repeat("c0", 20)
	for _, tc := range []struct {
		license, wantLicense, wantRef string
		url, wantLocation             string
	}{
		{"Apache-2.0", "Apache-2.0", "", "https://github.com/wolfi-dev/os", "git+https://github.com/wolfi-dev/os@" + commit},
		{"", "NOASSERTION", "", "", "NOASSERTION"},
		{"Distro Terms", "LicenseRef-Distro-Terms", "Distro Terms", "git+https://example.org/r", "git+https://example.org/r@" + commit},
	} {
		in := helloInput()
		in.RecipeCommit, in.RecipeLicense, in.RecipeRepoURL = commit, tc.license, tc.url
		data, err := Generate(in)
		if err != nil {
			t.Fatal(err)
		}
		var doc document
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		var recipe *spdxPackage
		for i, p := range doc.Packages {
			if p.Name == in.RecipePath {
				recipe = &doc.Packages[i]
			}
		}
		if recipe == nil {
			t.Fatalf("no recipe package in %s", data)
		}
		if recipe.VersionInfo != commit || recipe.LicenseDeclared != tc.wantLicense || recipe.DownloadLocation != tc.wantLocation {
			t.Errorf("license %q, url %q: recipe package %+v", tc.license, tc.url, recipe)
		}
		found := false
		for _, e := range doc.ExtractedLicenses {
			found = found || e.Name == tc.wantRef
		}
		if tc.wantRef != "" && !found {
			t.Errorf("no extracted licensing info for %q: %+v", tc.wantRef, doc.ExtractedLicenses)
		}
	}
}
