// Package install lays resolved packages into a root directory the way apk
// and apko do: each package's data is verified and extracted safely (nothing
// outside the root), and the package database is written:
// lib/apk/db/installed, lib/apk/db/scripts.tar, lib/apk/db/triggers,
// etc/apk/world, etc/apk/arch, etc/apk/repositories and etc/apk/keys/.
//
// Install scripts are recorded in scripts.tar, never run on the host.
package install
