package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// AllArches are the architectures melange's --arch all (and a build with
// neither --arch nor target-architecture) means, by apk name.
var AllArches = []string{"x86", "x86_64", "aarch64", "armhf", "armv7", "ppc64le", "riscv64", "s390x"}

// ParseArchList reads melange's --arch values: each item may itself be a
// comma-separated list; "all" means AllArches and "host" the host's
// architecture. Names are returned as apk names, duplicates dropped, in
// the order given. An empty list stays empty.
func ParseArchList(items []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, item := range items {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			switch s {
			case "":
				continue
			case "all":
				for _, a := range AllArches {
					add(a)
				}
				continue
			case "host":
				s = ""
			}
			a, err := ParseArch(s)
			if err != nil {
				return nil, err
			}
			add(a.APK)
		}
	}
	return out, nil
}

// Identity is the package as melange's package-version prints it:
// NAME-VERSION-rEPOCH, from the recipe as written.
func (p Package) Identity() string {
	return p.Name + "-" + p.Version + "-r" + strconv.FormatUint(p.Epoch, 10)
}

// ReadIdentity reads only the package section's name, version and epoch
// of the recipe at path, tolerating every other key: what melange's
// package-version needs, even from a recipe pestle would not build.
func ReadIdentity(path string) (Package, error) {
	data, err := readYAMLFile(path)
	if err != nil {
		return Package{}, fmt.Errorf("reading recipe: %w", err)
	}
	var head struct {
		Package struct {
			Name    string `yaml:"name"`
			Version string `yaml:"version"`
			Epoch   uint64 `yaml:"epoch"`
		} `yaml:"package"`
	}
	if err := yaml.Unmarshal(data, &head); err != nil {
		return Package{}, fmt.Errorf("%s: %w", path, err)
	}
	p := head.Package
	if p.Name == "" || p.Version == "" {
		return Package{}, fmt.Errorf("%s: package.name and package.version are required", path)
	}
	return Package{Name: p.Name, Version: p.Version, Epoch: p.Epoch}, nil
}
