package lint

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// recipeView is the part of a melange recipe the linters need. Decoding is
// lenient: a package's embedded .melange.yaml may carry fields of any
// melange version.
type recipeView struct {
	Package struct {
		Name   string     `yaml:"name"`
		Checks checksView `yaml:"checks"`
	} `yaml:"package"`
	Test        *testView `yaml:"test"`
	Subpackages []struct {
		Name   string     `yaml:"name"`
		Checks checksView `yaml:"checks"`
		Test   *testView  `yaml:"test"`
	} `yaml:"subpackages"`
}

type checksView struct {
	Disabled []string `yaml:"disabled"`
}

type testView struct {
	Pipeline []stepView `yaml:"pipeline"`
}

type stepView struct {
	Uses     string     `yaml:"uses"`
	Pipeline []stepView `yaml:"pipeline"`
}

func (t *testView) uses() []string {
	if t == nil {
		return nil
	}
	var out []string
	var walk func([]stepView)
	walk = func(steps []stepView) {
		for _, s := range steps {
			if s.Uses != "" {
				out = append(out, s.Uses)
			}
			walk(s.Pipeline)
		}
	}
	walk(t.Pipeline)
	return out
}

// FromRecipe reads what a recipe says about linting package pkg (the main
// package or one of its subpackages): its checks.disabled list and the
// `uses:` of its test pipelines, for Options.Disabled and Options.Tests.
// It is meant for the .melange.yaml a package carries; a package the
// recipe does not name gets nothing.
func FromRecipe(recipe []byte, pkg string) (disabled, tests []string, err error) {
	var r recipeView
	if err := yaml.Unmarshal(recipe, &r); err != nil {
		return nil, nil, fmt.Errorf("reading recipe: %w", err)
	}
	if r.Package.Name == pkg {
		return r.Package.Checks.Disabled, r.Test.uses(), nil
	}
	for _, s := range r.Subpackages {
		if s.Name == pkg {
			return s.Checks.Disabled, s.Test.uses(), nil
		}
	}
	return nil, nil, nil
}
