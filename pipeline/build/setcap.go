package build

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/pipeline"
)

// setcapXattrs turns the setcap: entries of pkg into the extended
// attributes the packer gives those files: security.capability, encoded as
// setcap(8) writes it. An entry's path is absolute in the package.
func setcapXattrs(pkg pipeline.PackagePlan) (map[string]map[string]string, error) {
	if len(pkg.SetCap) == 0 {
		return nil, nil
	}
	out := map[string]map[string]string{}
	for _, sc := range pkg.SetCap {
		p := strings.TrimPrefix(path.Clean("/"+sc.Path), "/")
		if sc.Path == "" || p == "" {
			return nil, fmt.Errorf("package %s: setcap: an entry has no path; give the file, e.g. path: /usr/bin/ping", pkg.Name)
		}
		v, err := apk.FileCapabilities(sc.Add)
		if err != nil {
			return nil, fmt.Errorf("package %s: setcap %s: %w", pkg.Name, sc.Path, err)
		}
		if _, dup := out[p]; dup {
			return nil, fmt.Errorf("package %s: setcap: /%s is listed twice; put its capabilities in one entry", pkg.Name, p)
		}
		out[p] = map[string]string{apk.XattrCapability: string(v)}
	}
	return out, nil
}

// checkSetcap fails, before anything is written, when a setcap: entry of
// pkg is malformed or names no regular file of its output tree.
func checkSetcap(pkg pipeline.PackagePlan, tree string) error {
	x, err := setcapXattrs(pkg)
	if err != nil {
		return err
	}
	for p := range x {
		fi, err := os.Lstat(filepath.Join(tree, filepath.FromSlash(p)))
		if err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("package %s: setcap: /%s is not a regular file of the package; fix the path, or install the file in this (sub)package", pkg.Name, p)
		}
	}
	return nil
}
