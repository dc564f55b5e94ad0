package apk

import (
	"fmt"
	"strings"

	"github.com/pestle-dev/pestle/apk/version"
)

// PackSpec names a package made straight from a directory tree (pestle
// pack): the fields of its .PKGINFO that are not computed from the tree.
type PackSpec struct {
	Name string
	// Version is the upstream version, without -rN; Epoch is the N.
	Version string
	Epoch   uint64
	// Arch is an architecture or its alias (amd64, arm64); empty means
	// the host's.
	Arch                        string
	Description, URL, License   string
	Origin                      string // empty means Name
	Depends, Provides, Replaces []string
	ProviderPriority            uint64
}

// Info checks s and returns the package's metadata, ready for Write.
func (s PackSpec) Info() (*PackageInfo, error) {
	if strings.Contains(s.Version, "-") {
		return nil, fmt.Errorf("version %q contains \"-\": give the version without -rN and the N as the epoch (--epoch)", s.Version)
	}
	full := fmt.Sprintf("%s-r%d", s.Version, s.Epoch)
	if err := version.Validate(full); err != nil {
		return nil, fmt.Errorf("%w: apk-tools would refuse the package (versions are like 1.2.3, 1.0_rc1, 2.12a)", err)
	}
	arch, err := NormalizeArch(s.Arch)
	if err != nil {
		return nil, err
	}
	origin := s.Origin
	if origin == "" {
		origin = s.Name
	}
	return &PackageInfo{
		Name: s.Name, Version: full, Arch: arch,
		Description: s.Description, URL: s.URL, License: s.License, Origin: origin,
		Depends: s.Depends, Provides: s.Provides, Replaces: s.Replaces, ProviderPriority: s.ProviderPriority,
	}, nil
}
