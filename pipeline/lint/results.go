package lint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// Results is what --persist-lint-results writes for one package.
type Results struct {
	Package  string    `json:"package"`
	Version  string    `json:"version"`
	Arch     string    `json:"arch"`
	Findings []Finding `json:"findings"`
}

// ResultsFileName is lint-<package>-<version>.json, melange's name.
func ResultsFileName(pkg, version string) string {
	return "lint-" + pkg + "-" + version + ".json"
}

// WriteResults writes r as <dir>/<arch>/lint-<package>-<version>.json,
// atomically (temporary file, fsync, rename), and returns its path.
func WriteResults(dir string, r Results) (string, error) {
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, r.Arch)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(out, ResultsFileName(r.Package, r.Version))
	if err := fsutil.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return path, nil
}
