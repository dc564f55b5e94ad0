// Package testrepo makes, for tests, a signed repository holding busybox:
// the host's static /bin/busybox with a link per applet, providing
// /bin/sh, packed and indexed as pestle would.
package testrepo
