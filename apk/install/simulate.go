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
// is Select followed by Plan.
func (s *Selection) Plan() []Planned {
	out := make([]Planned, len(s.Packages))
	for i, p := range s.Packages {
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
