package netrec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const goodSum = "1a030abe61b9e8d8deab55dbef6de04308472b29b91cbfd33e5a84f6e902e247"

func TestParseLock(t *testing.T) {
	entry := `{"method":"GET","url":"https://a.example/x","status":200,"size":3,"sha256":"` + goodSum + `"}`
	for _, c := range []struct {
		name, data, err string
	}{
		{"ok", `{"version":1,"requests":[` + entry + `]}`, ""},
		{"empty", `{"version":1,"requests":[]}`, ""},
		{"version", `{"version":2,"requests":[]}`, "version 2"},
		{"unknown field", `{"version":1,"requests":[],"extra":1}`, "unknown field"},
		{"trailing data", `{"version":1,"requests":[]} {}`, "data after"},
		{"bad method", `{"version":1,"requests":[` + strings.Replace(entry, "GET", "get", 1) + `]}`, "not an HTTP method"},
		{"bad url", `{"version":1,"requests":[` + strings.Replace(entry, "https://a.example/x", "ftp://a/x", 1) + `]}`, "not an http(s) URL"},
		{"bad status", `{"version":1,"requests":[` + strings.Replace(entry, "200", "99", 1) + `]}`, "not an HTTP status"},
		{"bad sum", `{"version":1,"requests":[` + strings.Replace(entry, goodSum, strings.ToUpper(goodSum), 1) + `]}`, "64 lower-case hex"},
		{"negative size", `{"version":1,"requests":[` + strings.Replace(entry, `"size":3`, `"size":-1`, 1) + `]}`, "negative"},
		{"header injection", `{"version":1,"requests":[` + strings.Replace(entry, `"size":3`, `"size":3,"location":"a\r\nSet-Cookie: x"`, 1) + `]}`, "control character"},
	} {
		_, err := ParseLock([]byte(c.data))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrBadLock)):
			t.Errorf("%s: error %v, want ErrBadLock with %q", c.name, err, c.err)
		}
	}
}

func TestWriteLockIsAtomicAndSorted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, LockName("hello-1.0-r0.apk"))
	if filepath.Base(path) != "hello-1.0-r0.network.json" {
		t.Fatalf("lock name %s", path)
	}
	e := func(u string) Entry { return Entry{Method: "GET", URL: u, Status: 200, Size: 1, SHA256: goodSum} }
	if err := WriteLock(path, []Entry{e("https://b.example/"), e("https://a.example/"), e("https://b.example/")}); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Requests) != 2 || l.Requests[0].URL != "https://a.example/" {
		t.Errorf("lock not sorted and deduplicated: %+v", l.Requests)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("leftovers beside the lock: %v", ents)
	}
	// A FIFO where the lock belongs is refused, not waited on; a missing
	// lock is fs.ErrNotExist, which replay takes for "nothing recorded".
	fifo := filepath.Join(dir, LockName("fifo-1.0-r0.apk"))
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadLock(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a FIFO: %v", err)
	}
	if _, err := ReadLock(filepath.Join(dir, "missing.network.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing lock: %v, want fs.ErrNotExist", err)
	}
}

func FuzzParseLock(f *testing.F) {
	if data, err := os.ReadFile("testdata/record.lock.golden"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"requests":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLock(data)
		if err != nil {
			return
		}
		// What parses renders again and parses to the same entries.
		out, err := MarshalLock(l.Requests)
		if err != nil {
			t.Fatal(err)
		}
		l2, err := ParseLock(out)
		if err != nil {
			t.Fatalf("re-rendered lock does not parse: %v\n%s", err, out)
		}
		if len(l2.Requests) != len(sortEntries(l.Requests)) {
			t.Fatalf("round trip changed the entries")
		}
	})
}
