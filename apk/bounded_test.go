package apk

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestReadRefusesControlBomb: a package whose control segment holds
// several entries just under the per-entry limit, together past the total
// limit, is refused as corrupted, naming the limit, without holding them
// all.
func TestReadRefusesControlBomb(t *testing.T) {
	var data bytes.Buffer
	zw := gzip.NewWriter(&data)
	zw.Close()
	sum := sha256.Sum256(data.Bytes())
	info := &PackageInfo{Name: "bomb", Version: "1-r0", Size: 1, DataHash: hex.EncodeToString(sum[:])}
	big := bytes.Repeat([]byte{'#'}, maxControlEntry-1)
	extra := map[string][]byte{".a": big, ".b": big, ".c": big, ".d": big, ".e": big}
	control, err := controlMember(info, nil, extra, time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	file := append(control, data.Bytes()...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Read(bytes.NewReader(file), ReadOptions{AllowUntrusted: true})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorrupted) || !strings.Contains(err.Error(), "limit 33554432") {
		t.Fatalf("got %v, want a corrupted package naming the 32 MiB limit", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8*maxControlEntry {
		t.Errorf("allocated %d MiB to refuse it", n>>20)
	}
}
