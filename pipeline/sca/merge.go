package sca

import (
	"cmp"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// Dropped is a detected or declared dependency that Merge left out.
type Dropped struct {
	Dep    string
	Reason string
}

// Merge folds r into info, which must hold the recipe's own Depends and
// Provides (and the package's Name and Version):
//
//   - a detected interpreter dependency is left out when the recipe
//     already names one: python-X.Y-base when a recipe dependency starts
//     with "python", ruby-X.Y for "ruby" or "ruby-…", perl~N for "perl";
//   - a detected dependency that a vendored library or .pc file of the
//     package satisfies is left out;
//   - the recipe's and the detected lists are joined without duplicates;
//   - every dependency that the package itself satisfies (one of its
//     provides, or its own name and version) is dropped, unless the
//     provide's version does not meet the constraint; conflicts ("!x")
//     are always kept.
//
// Both lists come out sorted. Merge returns what it dropped, sorted, for
// the debug log. A nil r is an empty result.
func Merge(info *apk.PackageInfo, r *Result) []Dropped {
	if r == nil {
		r = &Result{}
	}
	var dropped []Dropped
	vendored := newSelf(r.Vendored, "", "")
	deps := slices.Clone(info.Depends)
	for _, d := range r.Depends {
		if covered := r.yields[d]; covered != nil {
			if i := slices.IndexFunc(info.Depends, covered); i >= 0 {
				dropped = append(dropped, Dropped{d, "the recipe already depends on " + info.Depends[i]})
				continue
			}
		}
		if by := vendored.satisfies(d); by != "" {
			dropped = append(dropped, Dropped{d, "satisfied by the vendored " + by})
			continue
		}
		deps = append(deps, d)
	}
	provides := sortedUnique(append(slices.Clone(info.Provides), r.Provides...))
	own := newSelf(provides, info.Name, info.Version)
	var kept []string
	for _, d := range sortedUnique(deps) {
		if by := own.satisfies(d); by != "" {
			dropped = append(dropped, Dropped{d, "provided by the package itself (" + by + ")"})
			continue
		}
		kept = append(kept, d)
	}
	info.Depends, info.Provides = kept, provides
	slices.SortFunc(dropped, func(a, b Dropped) int {
		return cmp.Or(strings.Compare(a.Dep, b.Dep), strings.Compare(a.Reason, b.Reason))
	})
	return dropped
}

func sortedUnique(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	slices.Sort(list)
	return slices.Compact(list)
}

// self is what a package offers: provide name → the provide tokens.
type self map[string][]selfProvide

type selfProvide struct {
	token, version string // version "" for an unversioned provide
}

func newSelf(provides []string, name, ver string) self {
	s := self{}
	for _, tok := range provides {
		d, err := version.ParseDependency(tok)
		if err != nil || d.Conflict {
			continue
		}
		v := ""
		if d.Op == version.EQ {
			v = d.Version
		}
		s[d.Name] = append(s[d.Name], selfProvide{tok, v})
	}
	if name != "" {
		s[name] = append(s[name], selfProvide{name + "=" + ver, ver})
	}
	return s
}

// satisfies returns the provide that meets the dependency dep, or "".
func (s self) satisfies(dep string) string {
	d, err := version.ParseDependency(dep)
	if err != nil || d.Conflict || d.Tag != "" {
		return ""
	}
	for _, p := range s[d.Name] {
		if d.MatchVersion(p.version) {
			return p.token
		}
	}
	return ""
}
