package index

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

const crashHelperEnv = "PESTLE_INDEX_CRASH_DIR"

// crashKills is how many times TestCrashConsistency kills a writer.
var crashKills = 120

// crashHelper publishes packages into dir for ever, as builds do, and
// alternates with merges as `index --merge` does: it replaces the same
// version with new bytes (a rebuild), adds new versions, and rewrites the
// index from the files. It is killed at a random moment.
func crashHelper(dir string) {
	key, err := keys.LoadPrivate("testdata/test.rsa")
	if err != nil {
		panic(err)
	}
	// Beside the repository, in the test's own temporary dir: the helper is
	// killed, so only the test's cleanup removes it.
	tree, err := os.MkdirTemp(filepath.Dir(dir), "tree-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tree)
	opts := UpdateOptions{Signer: &keys.Signer{Key: key, Name: "test.rsa.pub"}}
	fmt.Println("ready")
	for i := 0; ; i++ {
		var staged []Staged
		for _, name := range []string{"rebuilt", fmt.Sprintf("new%d", i%7)} {
			if err := os.WriteFile(filepath.Join(tree, "data"), []byte(fmt.Sprint(name, i, rand.Int())), 0o644); err != nil {
				panic(err)
			}
			info := &apk.PackageInfo{Name: name, Version: "1.0-r0", Arch: "x86_64"}
			f, err := fsutil.Create(filepath.Join(dir, info.Filename()))
			if err != nil {
				panic(err)
			}
			w := bufio.NewWriter(f)
			if err := apk.Write(w, tree, info, apk.WriteOptions{Signer: &keys.Signer{Key: key, Name: "test.rsa.pub"}}); err != nil {
				panic(err)
			}
			w.Flush()
			staged = append(staged, Staged{File: f, Info: info})
		}
		if err := Publish(dir, staged, opts); err != nil {
			panic(err)
		}
		if i%3 == 2 {
			files, _ := filepath.Glob(filepath.Join(dir, "*.apk"))
			out := filepath.Join(dir, FileName)
			if _, err := Build(files, BuildOptions{Output: out, Merge: true, Signer: &keys.Signer{Key: key, Name: "test.rsa.pub"}}); err != nil {
				panic(err)
			}
		}
	}
}

// TestCrashConsistency kills -9 a process publishing packages and merging
// the index at random moments, crashKills times. After each kill, the next
// lock holder finds: no temporary file or journal left, an index that
// verifies, every .apk whole, and every index record's C: equal to the
// checksum of the file it names (a replaced version included).
func TestCrashConsistency(t *testing.T) {
	fixture.Slow(t, "kills a writer many times")
	dir := t.TempDir()
	kr := testKeyring(t)
	for k := range crashKills {
		c := exec.Command(os.Args[0], "-test.run=^$")
		c.Env = append(os.Environ(), crashHelperEnv+"="+dir)
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(out).ReadString('\n')
		if line != "ready\n" {
			c.Process.Kill()
			c.Wait()
			t.Fatalf("kill %d: helper said %q", k, line)
		}
		time.Sleep(time.Duration(rand.IntN(40_000)) * time.Microsecond)
		c.Process.Kill()
		c.Wait()

		lock, err := Lock(dir) // the next lock holder cleans up
		if err != nil {
			t.Fatalf("kill %d: %v", k, err)
		}
		checkConsistent(t, k, dir, kr)
		lock.Unlock()
		if t.Failed() {
			return
		}
	}
}

func checkConsistent(t *testing.T, k int, dir string, kr *keys.Keyring) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), journalPrefix) {
			t.Errorf("kill %d: %s left behind", k, e.Name())
		}
	}
	ix, err := ReadFile(filepath.Join(dir, FileName), kr, false)
	if os.IsNotExist(err) {
		return // killed before the first publication
	}
	if err != nil {
		t.Fatalf("kill %d: index: %v", k, err)
	}
	// The sidecar may describe the index before the last one (it is
	// written after the index), but it is never torn.
	_, err = loadSidecar(filepath.Join(dir, FileName), sidecarKey(&keys.Signer{Key: testKey(t)}))
	if err != nil && !os.IsNotExist(err) {
		t.Errorf("kill %d: sidecar: %v", k, err)
	}
	for _, p := range ix.Packages {
		path := filepath.Join(dir, p.Filename())
		files, err := ReadPackages([]string{path}, nil)
		if err != nil {
			t.Errorf("kill %d: %s: %v", k, p.Filename(), err)
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = apk.Read(f, apk.ReadOptions{Keyring: kr})
		f.Close()
		if err != nil {
			t.Errorf("kill %d: %s is not whole: %v", k, p.Filename(), err)
		}
		if !bytes.Equal(files[0].Checksum, p.Checksum) {
			t.Errorf("kill %d: index C: of %s does not match the file", k, p.Filename())
		}
	}
}
