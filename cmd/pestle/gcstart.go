package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// firstGCAt is how much memory a build or an index command uses before
// its first garbage collection.
const firstGCAt = 32 << 20

var (
	deferGCOnce sync.Once
	// firstGCDone is closed once pacing is back to GOGC's rule (at once
	// when the environment sets GOGC or GOMEMLIMIT).
	firstGCDone = make(chan struct{})
)

// deferFirstGC lets the heap grow to firstGCAt before the first garbage
// collection, which then hands pacing back to GOGC's usual rule. A small
// build ends without ever collecting: its collections, at the runtime's
// 4 MiB start, were a sixth of its page faults (each starts worker
// goroutines and touches fresh memory). A large build passes firstGCAt
// early, so its peak memory stays what GOGC makes it. GOGC or GOMEMLIMIT
// in the environment are left to rule. Only the first call does anything.
func deferFirstGC() {
	deferGCOnce.Do(func() {
		if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
			close(firstGCDone)
			return
		}
		percent := debug.SetGCPercent(-1)
		limit := debug.SetMemoryLimit(firstGCAt)
		// A sentinel large enough to be its own heap object: its cleanup
		// runs after the first collection finds it unreachable.
		runtime.AddCleanup(new([64]byte), func(struct{}) {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
			close(firstGCDone)
		}, struct{}{})
	})
}
