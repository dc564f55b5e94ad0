// Package apk reads, writes, signs and verifies Alpine APK v2 packages.
//
// A package is three concatenated gzip members: a signature tar segment, a
// control tar segment (.PKGINFO and scripts) and a data tarball. PackageInfo
// is the metadata both .PKGINFO and APKINDEX records carry. Sub-packages
// hold versions and dependency tokens (apk/version), APKINDEX files
// (apk/index), repositories (apk/repo), the resolver (apk/resolve) and the
// installer (apk/install).
package apk
