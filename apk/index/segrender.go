package index

import (
	"bytes"
	"runtime"
	"sync"
	"time"

	"github.com/pestle-dev/pestle/apk"
)

// A new index is rendered and compressed one text segment at a time: the
// records of a segment are rendered into a buffer that a compressor takes
// while the next segment is rendered, and the buffer is reused once
// compressed. The whole text (about 450 bytes a record) is never held, so
// writing an index of thousands of records touches a few hundred
// kilobytes of fresh memory instead of megabytes. The segments are cut
// where chunkText cuts the same text, so the bytes are those of
// marshalSegmented over WriteText's output.

// renderJob is one text segment: rendered by marshalPackages, compressed
// by a worker.
type renderJob struct {
	text []byte // the segment's text, until compressed
	out  []byte // the compressed segment
	seg  segment
}

// marshalPackages writes the index member of pkgs, already in index order
// and without two of the same name and version, with description. It
// returns the member as pieces with its layout; a record that WriteText
// refuses is refused the same way.
func marshalPackages(pkgs []*apk.PackageInfo, description string, mtime time.Time) ([][]byte, *layout, error) {
	jobs, err := compressPackages(pkgs)
	if err != nil {
		return nil, nil, err
	}
	ctext := make([][]byte, len(jobs))
	segs := make([]segment, len(jobs))
	for i, j := range jobs {
		ctext[i], segs[i] = j.out, j.seg
	}
	return finishMember(ctext, segs, description, mtime)
}

// compressPackages renders pkgs into text segments of whole records, each
// cut after the first record that brings it to segmentText bytes, and
// compresses them on up to one worker per CPU (started as segments come).
func compressPackages(pkgs []*apk.PackageInfo) ([]*renderJob, error) {
	workers := runtime.GOMAXPROCS(0)
	free := make(chan []byte, workers+1)
	for range workers + 1 {
		free <- nil
	}
	queue := make(chan *renderJob)
	var wg sync.WaitGroup
	started := 0
	var jobs []*renderJob
	var err error
	var buf []byte
	start := 0
	for i, p := range pkgs {
		if buf == nil {
			if buf = <-free; buf == nil {
				buf = make([]byte, 0, segmentText+8<<10)
			}
		}
		if buf, err = appendRecord(buf, p); err != nil {
			break
		}
		if len(buf) < segmentText && i < len(pkgs)-1 {
			continue
		}
		j := &renderJob{text: buf, seg: segment{nrec: i + 1 - start, first: keyOf(pkgs[start]), last: keyOf(p)}}
		jobs = append(jobs, j)
		if started < workers {
			started++
			wg.Go(func() { compressJobs(queue, free) })
		}
		queue <- j
		buf, start = nil, i+1
	}
	close(queue)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// compressJobs compresses the segments from queue, handing each text
// buffer back to free.
func compressJobs(queue <-chan *renderJob, free chan<- []byte) {
	fw := getDeflater()
	defer putDeflater(fw)
	for j := range queue {
		var dst bytes.Buffer
		dst.Grow(len(j.text)/4 + 64)
		s := deflateSegment(fw, &dst, j.text, false)
		j.seg.clen, j.seg.ulen, j.seg.crc = s.clen, s.ulen, s.crc
		j.out = dst.Bytes()
		free <- j.text[:0]
		j.text = nil
	}
}

// concat joins pieces into one slice of their total length.
func concat(parts [][]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
