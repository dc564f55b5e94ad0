package graph

import (
	"slices"
	"sort"
	"strings"

	"github.com/pestle-dev/pestle/apk/version"
)

// depName is the package or virtual name of a dependency or provides
// token ("foo>=1.2" → "foo", "so:libz.so.1=1.3" → "so:libz.so.1"); ""
// for a conflict ("!foo"), which is not a need.
func depName(tok string) string {
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.HasPrefix(tok, "!") {
		return ""
	}
	if d, err := version.ParseDependency(tok); err == nil {
		return d.Name
	}
	// Not a valid token (a build would say so): keep the part before
	// any operator or tag.
	if i := strings.IndexAny(tok, "<>=~@ "); i >= 0 {
		tok = tok[:i]
	}
	return tok
}

// depNames maps depName over toks, dropping empty names.
func depNames(toks []string) []string {
	var out []string
	for _, t := range toks {
		if n := depName(t); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// sortedNames sorts and de-duplicates names.
func sortedNames(names []string) []string {
	sort.Strings(names)
	return slices.Compact(names)
}
