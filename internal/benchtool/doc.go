// Command benchtool makes the inputs of `make bench` that are too slow to
// make one process at a time: many small signed packages, shaped like the
// subpackages of a distribution, for the index benchmarks.
//
//	benchtool pkgs -n 5000 -key bench.rsa -o DIR
//
// writes DIR/<name>-<version>.apk, the same bytes on every run.
//
//	benchtool relay -listen 127.0.0.1:0 [CMD ARGS...]
//
// forwards plain-HTTP proxy requests, the floor of the network
// benchmark: while CMD runs, or, without one, until stopped (it prints
// its address). It is a
// development tool, not part of pestle.
package main
