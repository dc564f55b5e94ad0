package index

import (
	"github.com/pestle-dev/pestle/apk"
)

// Index is the content of an APKINDEX.tar.gz.
type Index struct {
	// Description is the DESCRIPTION entry (free text, e.g. a repository
	// version); apk-tools 3 ignores it beyond 160 bytes.
	Description string
	// Packages are the records, in file order as read, sorted when written.
	Packages []*apk.PackageInfo
	// SignedBy is the key name of the signature that verified when the index
	// was read, or "" when it was unsigned or not verified (allowUntrusted).
	SignedBy string
	// Signatures lists every signature entry found when reading, in order.
	Signatures []apk.Signature
	// Uninstallable maps records carrying field letters this reader does not
	// know (uppercase, or anything not lowercase) to those letters. Such a
	// package must not be installed, as with apk-tools.
	Uninstallable map[*apk.PackageInfo]string
}

// Merge adds pkgs to the index. A package with the same name and version as
// one already there replaces it in place; the others are appended. Among
// pkgs, a later one with the same name and version wins.
func (ix *Index) Merge(pkgs ...*apk.PackageInfo) {
	if len(pkgs) == 0 {
		return
	}
	type key struct{ name, version string }
	at := make(map[key]int, len(ix.Packages)+len(pkgs))
	for i, p := range ix.Packages {
		at[key{p.Name, p.Version}] = i
	}
	for _, p := range pkgs {
		if p == nil {
			continue
		}
		k := key{p.Name, p.Version}
		if i, ok := at[k]; ok {
			delete(ix.Uninstallable, ix.Packages[i])
			ix.Packages[i] = p
			continue
		}
		at[k] = len(ix.Packages)
		ix.Packages = append(ix.Packages, p)
	}
}

// Find returns the package of that name and version, or nil.
func (ix *Index) Find(name, version string) *apk.PackageInfo {
	for _, p := range ix.Packages {
		if p.Name == name && p.Version == version {
			return p
		}
	}
	return nil
}
