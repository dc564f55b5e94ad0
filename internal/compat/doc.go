// Command compat checks that pestle means what melange means on a corpus
// of real recipes. A corpus directory holds recipes/*.yaml, a pipelines/
// directory (passed as the pipeline directory) and expected.jsonl: one
// JSON line per recipe with what melange compiled for x86_64 (package,
// version, epoch, subpackage names in order, and the environment's
// package list: sorted, de-duplicated, with every step's needs, minus git
// and wget).
//
//	compat [-ratchet FILE] [-update-ratchet] [-exec BIN] CORPUS
//
// compiles every recipe in this process, prints the agreement rate and the
// causes of disagreement grouped and counted, and exits 1 when fewer
// recipes agree than the number in the ratchet file. -update-ratchet
// raises that number (never lowers it). -exec BIN also times compiling
// each recipe with `BIN compile`, one process each. It is a development
// tool (make compat), not part of pestle.
package main
