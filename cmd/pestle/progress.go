package main

import (
	"fmt"
	"io"
	"os"
	"path"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// progressBar draws one status line for downloads on a terminal:
//
//	fetching go-1.26.8-r0.apk  [#########.........]  31.2/65.3 MiB
//
// redrawn at most every 100 ms and cleared when a download completes. On
// anything but a terminal it stays silent (the logs say what was fetched).
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	shown bool
	now   func() time.Time
}

// newProgress returns the download callback for the CLI, or nil when
// stderr is not a terminal.
func newProgress() func(url string, done, total int64) {
	if !isTerminal(os.Stderr) {
		return nil
	}
	return (&progressBar{w: os.Stderr, now: time.Now}).update
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (p *progressBar) update(url string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	finished := total > 0 && done >= total
	if !finished && p.now().Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = p.now()
	if finished {
		if p.shown {
			fmt.Fprint(p.w, "\r\033[K")
			p.shown = false
		}
		return
	}
	fmt.Fprint(p.w, "\r\033[K"+progressLine(path.Base(url), done, total))
	p.shown = true
}

// progressLine renders one download's state.
func progressLine(name string, done, total int64) string {
	const width = 24
	if total <= 0 {
		return fmt.Sprintf("fetching %s  %s", name, humanBytes(done))
	}
	filled := int(min(done, total) * width / total)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = '.'
		if i < filled {
			bar[i] = '#'
		}
	}
	return fmt.Sprintf("fetching %s  [%s]  %s/%s", name, bar, humanBytes(done), humanBytes(total))
}
