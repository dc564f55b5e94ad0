package install

import "fmt"

// Planned is one package that installing a Selection would add: what
// `pestle install --simulate --json` prints for each.
type Planned struct {
	Name          string `json:"name"`
	Version       string `json:"version"`
	Arch          string `json:"arch,omitempty"`
	Repository    string `json:"repository"`
	Size          int64  `json:"size"`           // the .apk file (S:)
	InstalledSize uint64 `json:"installed_size"` // its files (I:)
}

// Plan lists the selected packages in install order, each with the
// repository it would come from. Nothing is fetched: a simulated install
// is Select followed by Plan. Those the root already has (Existing), at
// the same version, are left out, as apk leaves them out; Install writes
// them again from their packages, unchanged.
func (s *Selection) Plan() []Planned {
	pkgs := s.Existing.New(s.Packages)
	out := make([]Planned, len(pkgs))
	for i, p := range pkgs {
		out[i] = Planned{Name: p.Name, Version: p.Version, Arch: p.Arch, Size: p.FileSize, InstalledSize: p.Size}
		if r := s.from[p]; r != nil {
			out[i].Repository = r.URL
		}
	}
	return out
}

// SimulateLines renders a plan as `apk add --simulate` reports it, one
// line per package in install order: "(1/3) Installing musl (1.2.3-r2)".
func SimulateLines(plan []Planned) []string {
	out := make([]string, len(plan))
	for i, p := range plan {
		out[i] = fmt.Sprintf("(%d/%d) Installing %s (%s)", i+1, len(plan), p.Name, p.Version)
	}
	return out
}
