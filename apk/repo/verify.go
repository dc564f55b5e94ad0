package repo

import (
	"fmt"
	"io"

	"github.com/pestle-dev/pestle/apk"
)

// verify checks a package against its index record: the control member's
// SHA-1 must equal pkg.Checksum, the data member's compressed bytes must
// match the datahash, and .PKGINFO must name the same package and version.
// The data member is hashed, not inflated: its per-file checksums are
// checked by whoever reads the files (an install checks each one as it
// extracts it), so a package is inflated once. Like apk-tools, a package
// from a repository is trusted through the signed index, so its own .SIGN
// entry is not checked (the index's key may not have signed the package).
func verify(r io.Reader, pkg *apk.PackageInfo) error {
	p, err := apk.Read(r, apk.ReadOptions{ExpectChecksum: pkg.Checksum, Source: pkg.Filename(), HashDataOnly: true})
	if err != nil {
		return err
	}
	if p.Info.Name != pkg.Name || p.Info.Version != pkg.Version {
		return &apk.Error{Package: pkg.Name + "-" + pkg.Version, Kind: apk.KindCorrupted,
			Err: fmt.Errorf("the index record names %s-%s but the package's .PKGINFO says %s-%s",
				pkg.Name, pkg.Version, p.Info.Name, p.Info.Version)}
	}
	return nil
}
