// Package apkocheck checks pestle's output against an independent APK
// implementation, the one inside apko (chainguard.dev/apko/pkg/apk, pinned
// in this directory's go.mod). It is a module of its own so that the main
// module never depends on apko.
//
// BuildRepository packs the Samples with apk.WriteFile (files, a setuid
// file, symlinks, a hard link, empty and sticky directories, scripts, a
// trigger, dependencies by name, so: and cmd:) and indexes them with
// index.Update under an RSA key. The tests then have apko verify the
// index signature, resolve and install the packages into an in-memory and
// an on-disk root, and read back the installed database it wrote; read
// pestle's own installed database (apk/install) with apko's parser and
// compare the two roots; verify each package's signature, C: and datahash
// with apko's primitives; and, given an apko binary, build an OCI image
// from the repository offline. Any apko warning fails a test.
//
// Run it with scripts/apkocheck (see there); `go test ./...` in this
// directory works too (the image test then needs APKO=/path/to/apko).
package apkocheck
