package index

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// Environment of the helper mode: the test binary re-executed to run one
// Update from a separate process.
const (
	helperDirEnv  = "PESTLE_INDEX_HELPER_DIR"
	helperNameEnv = "PESTLE_INDEX_HELPER_PKG"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashHelperEnv); dir != "" {
		crashHelper(dir) // never returns
	}
	if dir := os.Getenv(helperDirEnv); dir != "" {
		if err := helperUpdate(dir, os.Getenv(helperNameEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helperUpdate(dir, name string) error {
	key, err := keys.LoadPrivate("testdata/test.rsa")
	if err != nil {
		return err
	}
	kr, err := keys.LoadKeyring("testdata/test.rsa.pub")
	if err != nil {
		return err
	}
	return Update(dir, []*apk.PackageInfo{fakePackage(name)}, UpdateOptions{
		Keyring: kr, Signer: &keys.Signer{Key: key, Name: "test.rsa.pub"},
	})
}

func fakePackage(name string) *apk.PackageInfo {
	h := sha1.Sum([]byte(name))
	return &apk.PackageInfo{Name: name, Version: "1.0-r0", Arch: "x86_64", FileSize: 1234, Size: 4096,
		Description: "package " + name, Checksum: h[:]}
}

func checkAll(t *testing.T, dir string, names []string) {
	t.Helper()
	ix, err := ReadFile(filepath.Join(dir, FileName), testKeyring(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Packages) != len(names) {
		t.Errorf("index holds %d packages, want %d", len(ix.Packages), len(names))
	}
	for _, n := range names {
		if ix.Find(n, "1.0-r0") == nil {
			t.Errorf("%s lost from the index", n)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestUpdateConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	key := testKey(t)
	kr := testKeyring(t)
	const n = 16
	var names []string
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		name := "pkg-" + strconv.Itoa(i)
		names = append(names, name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Update(dir, []*apk.PackageInfo{fakePackage(name)}, UpdateOptions{
				Keyring: kr, Signer: &keys.Signer{Key: key, Name: "test.rsa.pub"},
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	checkAll(t, dir, names)
}

func TestUpdateConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	const n = 8
	var names []string
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := 0; i < n; i++ {
		name := "proc-" + strconv.Itoa(i)
		names = append(names, name)
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), helperDirEnv+"="+dir, helperNameEnv+"="+name)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, &out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	checkAll(t, dir, names)
}

func TestUpdateReplacesAndKeepsDescription(t *testing.T) {
	dir := t.TempDir()
	opts := UpdateOptions{Keyring: testKeyring(t), Signer: &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}, Description: "repo v1"}
	if err := Update(dir, []*apk.PackageInfo{fakePackage("a"), fakePackage("b")}, opts); err != nil {
		t.Fatal(err)
	}
	rebuilt := fakePackage("a")
	rebuilt.Checksum = sum("a rebuilt")
	opts.Description = ""
	if err := Update(dir, []*apk.PackageInfo{rebuilt}, opts); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadFile(filepath.Join(dir, FileName), testKeyring(t), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix.Packages) != 2 || !bytes.Equal(ix.Find("a", "1.0-r0").Checksum, sum("a rebuilt")) || ix.Description != "repo v1" {
		t.Errorf("after update: %d packages, description %q", len(ix.Packages), ix.Description)
	}
}

func TestUpdateLeavesBadIndexAlone(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		kr    bool
		is    error
	}{
		{"corrupt", func(t *testing.T, path string) { os.WriteFile(path, []byte("garbage"), 0o644) }, false, ErrFormat},
		{"malformed text", func(t *testing.T, path string) {
			data, err := marshalText([]byte("P:a\nV:1\nnot a field\n\n"), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, data, 0o644)
		}, false, ErrFormat},
		{"unsigned with a keyring", func(t *testing.T, path string) {
			var b bytes.Buffer
			Write(&b, sampleIndex(), nil, 0)
			os.WriteFile(path, b.Bytes(), 0o644)
		}, true, keys.ErrUntrusted},
		{"signed by another key", func(t *testing.T, path string) {
			other, _ := keys.Generate(2048)
			var b bytes.Buffer
			Write(&b, sampleIndex(), &keys.Signer{Key: other, Name: "test.rsa.pub"}, 0)
			os.WriteFile(path, b.Bytes(), 0o644)
		}, true, keys.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			tc.setup(t, path)
			before := mustRead(t, path)
			opts := UpdateOptions{Signer: &keys.Signer{Key: testKey(t), Name: "test.rsa.pub"}}
			if tc.kr {
				opts.Keyring = testKeyring(t)
			}
			err := Update(dir, []*apk.PackageInfo{fakePackage("x")}, opts)
			if !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want %v", err, tc.is)
			}
			if !bytes.Equal(mustRead(t, path), before) {
				t.Error("the existing index was changed")
			}
		})
	}
}

func TestUpdateWithoutKeyringTrustsOwnFile(t *testing.T) {
	dir := t.TempDir()
	if err := Update(dir, []*apk.PackageInfo{fakePackage("a")}, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Update(dir, []*apk.PackageInfo{fakePackage("b")}, UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	ix, err := ReadFile(filepath.Join(dir, FileName), nil, true)
	if err != nil || len(ix.Packages) != 2 || len(ix.Signatures) != 0 {
		t.Errorf("unsigned updates: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v", st.Mode(), err)
	}
}
