// Package apk reads, writes, signs and verifies Alpine APK v2 packages.
//
// A package is three concatenated gzip members: a signature tar segment, a
// control tar segment (.PKGINFO and scripts) and a data tarball. PackageInfo
// is the metadata both .PKGINFO and APKINDEX records carry. Sub-packages
// hold versions and dependency tokens (apk/version), APKINDEX files
// (apk/index), repositories (apk/repo), the resolver (apk/resolve) and the
// installer (apk/install).
//
// Read streams a package once, splitting the gzip members itself, and
// verifies what apk-tools verifies: the signature (the first one whose key
// is in the keyring), datahash, every per-file SHA-1 and the identity
// (index C:); it can extract the data segment into a root through os.Root,
// so no entry is ever written outside it. ReadOptions.HashDataOnly is the
// cheaper mode an index needs: signature and control as usual, but the
// data segment only hashed against datahash, never inflated. Write packs a
// directory tree into a reproducible, signed package without holding it in
// memory; WriteFile does so atomically. Resign replaces a package's signature, keeping its
// control and data bytes.
//
// Every error about a package is an *Error whose errors.Is matches
// ErrCorrupted, ErrUnsafePath, keys.ErrUntrusted or keys.ErrBadSignature.
package apk
