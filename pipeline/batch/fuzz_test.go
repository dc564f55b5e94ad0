package batch

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadRecord: a record file is read back from the out-dir, which
// anyone with write access to it may have changed; reading it never
// panics, and what it returns writes back to an equal record.
func FuzzReadRecord(f *testing.F) {
	f.Add([]byte(`{"name":"a","key":"k","inputs":{"recipe":"r","plan":"p","environment":[],"arch":"x86_64","pestle":"v"},"packages":[{"file":"a-1-r0.apk","sha256":"00"}]}`))
	f.Add([]byte(`{"packages":[{"file":"../../etc/passwd"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, recordDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(recordPath(dir, "a"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := readRecord(dir, "a")
		if err != nil || rec == nil {
			return
		}
		// Files are looked up by base name only: never outside dir.
		_ = verifyPackages(dir, rec, nil)
		rec.Name = "b"
		if err := writeRecord(dir, rec); err != nil {
			t.Fatal(err)
		}
		back, err := readRecord(dir, "b")
		if err != nil || back.Key != rec.Key || len(back.Packages) != len(rec.Packages) {
			t.Errorf("round trip: %v %+v", err, back)
		}
	})
}
