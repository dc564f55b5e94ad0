package graph

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkCorpus computes the graph of a real set of recipes: the folder
// $PESTLE_CORPUS/recipes, with $PESTLE_CORPUS/pipelines as pipeline dir
// (make bench points it at the distribution corpus). Skipped when unset.
func BenchmarkCorpus(b *testing.B) {
	corpus := os.Getenv("PESTLE_CORPUS")
	if corpus == "" {
		b.Skip("PESTLE_CORPUS is not set (a folder with recipes/ and pipelines/)")
	}
	var g *Graph
	cpu0 := cpuTime()
	for b.Loop() {
		files, err := Discover([]string{filepath.Join(corpus, "recipes")})
		if err != nil {
			b.Fatal(err)
		}
		g, err = Load(files, Options{Arch: "x86_64", PipelineDirs: []string{filepath.Join(corpus, "pipelines")}})
		if err != nil {
			b.Fatal(err)
		}
	}
	// CPU seconds (user + system, both cores) tell the cost apart from
	// waiting for a core on a shared machine.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(g.Nodes)), "recipes")
	b.ReportMetric(float64(g.Depth), "depth")
	b.ReportMetric(float64(g.Width), "width")
	b.ReportMetric(float64(len(g.LargestSCC)), "largest-scc")
}

// BenchmarkSet computes the graph of testdata/set.
func BenchmarkSet(b *testing.B) {
	files, err := Discover([]string{filepath.Join("testdata", "set")})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Load(files, Options{Arch: "x86_64"}); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user + system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
