package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		done, total int64
		want        string
	}{
		{0, 4 << 20, "fetching go.apk  [........................]  0 B/4.0 MiB"},
		{1 << 20, 4 << 20, "fetching go.apk  [######..................]  1.0 MiB/4.0 MiB"},
		{4 << 20, 4 << 20, "fetching go.apk  [########################]  4.0 MiB/4.0 MiB"},
		{2048, -1, "fetching go.apk  2.0 KiB"},
	} {
		if got := progressLine("go.apk", tt.done, tt.total); got != tt.want {
			t.Errorf("progressLine(%d, %d) = %q, want %q", tt.done, tt.total, got, tt.want)
		}
	}
}

func TestProgressBarThrottlesAndClears(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressBar{w: &out, now: func() time.Time { return clock }}
	p.update("https://repo/x86_64/go.apk", 1, 100)
	p.update("https://repo/x86_64/go.apk", 2, 100) // same instant: not redrawn
	if n := strings.Count(out.String(), "fetching"); n != 1 {
		t.Errorf("drew %d times within 100 ms, want 1", n)
	}
	clock = clock.Add(time.Second)
	p.update("https://repo/x86_64/go.apk", 50, 100)
	if n := strings.Count(out.String(), "fetching"); n != 2 {
		t.Errorf("drew %d times, want 2", n)
	}
	p.update("https://repo/x86_64/go.apk", 100, 100)
	if !strings.HasSuffix(out.String(), "\r\033[K") {
		t.Errorf("a finished download does not clear the line: %q", out.String())
	}
}
