// Package sbom writes the software bill of materials that every package
// carries: one SPDX 2.3 JSON document at
// var/lib/db/sbom/<name>-<version>.spdx.json inside the package's output
// tree, the place and shape melange uses.
//
// A document describes the package (its apk package URL
// pkg:apk/<namespace>/<name>@<version>?arch=<arch>&distro=<namespace>,
// declared license, copyright text, supplier), the operating system
// namespace it belongs to, the upstream sources it was built from (fetch
// downloads with their URL and checksum, git checkouts with their repository
// and commit; related by GENERATED_FROM) and the recipe that describes the
// build (DESCRIBED_BY).
//
// Output is deterministic: the same Input always gives the same bytes. The
// creation time is the build's SOURCE_DATE_EPOCH, SPDX identifiers are
// derived from names and versions, and documentNamespace ends in a hash of
// the document's own content instead of a random UUID.
//
// License expressions are normalised, not looked up: operators are
// upper-cased, compound operands are parenthesised when several licenses are
// joined (LicenseExpression), and names that are not valid SPDX identifiers
// become LicenseRef- identifiers declared in hasExtractedLicensingInfos.
package sbom
