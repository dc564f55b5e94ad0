package build

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
)

const buildCrashEnv = "PESTLE_BUILD_CRASH_OPTS"

// buildKills is how many builds TestBuildSurvivesKill9 kills.
var buildKills = 25

// TestBuildSurvivesKill9 kills -9 a process that rebuilds the same
// version of a small recipe over and over (each build replaces the package
// with new bytes), at random moments of the build. After each kill one
// more build runs to the end, and then: no temporary file or journal in
// the output directory, every index record matches its file, every
// package is whole, nothing is left in TMPDIR, and no process of the
// killed build's sandbox runs.
func TestBuildSurvivesKill9(t *testing.T) {
	if enc := os.Getenv(buildCrashEnv); enc != "" {
		crashBuilds(t, enc)
		return
	}
	fixture.Slow(t, "kills builds many times")
	marker := fmt.Sprintf("0.%d", 300000+rand.IntN(600000))
	tb := newTestBuild(t, busyboxRecipe("crashy")+`pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share/crashy
      cat /proc/sys/kernel/random/uuid > ${{targets.destdir}}/usr/share/crashy/id
      sleep `+marker+`
`)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if _, err := tb.run(t); err != nil {
		t.Fatalf("first build: %v\n%s", err, tb.out.String())
	}
	enc, err := json.Marshal(crashOpts{tb.opts.Recipe, tb.opts.OutDir, tb.opts.SigningKey,
		tb.opts.Repositories, tb.opts.Keyring, tb.opts.ApkCacheDir, tb.opts.CacheDir})
	if err != nil {
		t.Fatal(err)
	}
	outDir := filepath.Join(tb.opts.OutDir, apk.HostArch())
	for k := range buildKills {
		c := exec.Command(os.Args[0], "-test.run=^TestBuildSurvivesKill9$", "-test.count=1")
		c.Env = append(os.Environ(), buildCrashEnv+"="+string(enc))
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			c.Process.Kill()
			c.Wait()
			t.Fatalf("kill %d: the helper said %q", k, line)
		}
		time.Sleep(time.Duration(rand.IntN(1500)) * time.Millisecond)
		c.Process.Kill()
		c.Wait()

		tb.out.Reset()
		if _, err := tb.run(t); err != nil {
			t.Fatalf("kill %d: the next build: %v\n%s", k, err, tb.out.String())
		}
		checkOutDir(t, k, outDir, tb.opts.SigningKey+".pub")
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("kill %d: left in TMPDIR after the next build: %v", k, names)
		}
		// The sandbox's watcher kills it once it sees the build gone. An
		// orphan would stay for ever; the generous bound only allows for a
		// machine so loaded that the watcher waits seconds for a CPU.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			pids := pidsWith(marker)
			if len(pids) == 0 {
				break
			}
			if time.Now().After(deadline) {
				for _, p := range pids {
					st, _ := os.ReadFile("/proc/" + p + "/status")
					t.Logf("%s: %s", p, st)
				}
				t.Errorf("kill %d: the killed build's sandbox still runs: %v", k, pids)
				break
			}
		}
		if t.Failed() {
			return
		}
	}
}

// crashOpts are the options the helper builds with.
type crashOpts struct {
	Recipe, OutDir, SigningKey string
	Repositories, Keyring      []string
	ApkCacheDir, CacheDir      string
}

// crashBuilds is the helper: builds until killed.
func crashBuilds(t *testing.T, enc string) {
	var c crashOpts
	if err := json.Unmarshal([]byte(enc), &c); err != nil {
		t.Fatal(err)
	}
	sde := int64(0)
	var opts Options
	opts.Recipe, opts.OutDir, opts.SigningKey = c.Recipe, c.OutDir, c.SigningKey
	opts.Repositories, opts.Keyring, opts.ApkCacheDir, opts.CacheDir = c.Repositories, c.Keyring, c.ApkCacheDir, c.CacheDir
	opts.SourceDateEpoch = &sde
	fmt.Println("ready")
	for {
		if _, err := Build(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
	}
}

func checkOutDir(t *testing.T, k int, dir, pub string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	var pkgs []string
	for _, e := range ents {
		switch {
		case strings.Contains(e.Name(), ".tmp-"), strings.HasPrefix(e.Name(), ".pestle-publish-"):
			t.Errorf("kill %d: %s left in the output directory", k, e.Name())
		case strings.HasSuffix(e.Name(), ".apk"):
			pkgs = append(pkgs, filepath.Join(dir, e.Name()))
		}
	}
	ix, err := index.ReadFile(filepath.Join(dir, index.FileName), nil, true)
	if err != nil {
		t.Fatalf("kill %d: %v", k, err)
	}
	files, err := index.ReadPackages(pkgs, nil)
	if err != nil {
		t.Fatalf("kill %d: a package is not whole: %v", k, err)
	}
	for _, f := range files {
		rec := ix.Find(f.Name, f.Version)
		if rec == nil || !bytes.Equal(rec.Checksum, f.Checksum) {
			t.Errorf("kill %d: the index record of %s-%s does not match its file", k, f.Name, f.Version)
		}
	}
	_ = pub
}

// pidsWith lists the processes whose command line contains marker.
func pidsWith(marker string) []string {
	ents, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmd, []byte(marker)) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
