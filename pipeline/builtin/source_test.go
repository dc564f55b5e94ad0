package builtin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// tarball returns a gzipped tar of files, each under top/.
func tarball(t *testing.T, top string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		hdr := &tar.Header{Name: top + "/" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestFetch(t *testing.T) {
	body := tarball(t, "hello-1.0", map[string]string{"README": "hi\n", "src/main.c": "int main;\n"})
	sum256 := sha256.Sum256(body)
	sum512 := sha512.Sum512(body)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/dl/hello-1.0.tar.gz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	uri := srv.URL + "/dl/hello-1.0.tar.gz"

	t.Run("sha256, extract", func(t *testing.T) {
		s := newSandbox(t, "hello")
		s.mustRun("fetch", "hello", map[string]string{"uri": uri, "expected-sha256": hex.EncodeToString(sum256[:])})
		for _, f := range []string{"README", "src/main.c", "hello-1.0.tar.gz"} {
			if !exists(filepath.Join(s.ws, f)) {
				t.Errorf("%s missing after fetch", f)
			}
		}
	})
	t.Run("sha512, directory, no strip, delete", func(t *testing.T) {
		s := newSandbox(t, "hello")
		s.mustRun("fetch", "hello", map[string]string{
			"uri": uri, "expected-sha512": hex.EncodeToString(sum512[:]),
			"directory": "src", "strip-components": "0", "delete": "true",
		})
		if !exists(filepath.Join(s.ws, "src/hello-1.0/README")) {
			t.Error("src/hello-1.0/README missing")
		}
		if exists(filepath.Join(s.ws, "hello-1.0.tar.gz")) {
			t.Error("delete: true left the artifact")
		}
	})
	t.Run("no extract", func(t *testing.T) {
		s := newSandbox(t, "hello")
		s.mustRun("fetch", "hello", map[string]string{"uri": uri, "expected-none": "yes", "extract": "false"})
		if exists(filepath.Join(s.ws, "README")) || !exists(filepath.Join(s.ws, "hello-1.0.tar.gz")) {
			t.Errorf("extract: false: workspace is %q", tree(t, s.ws))
		}
	})
	t.Run("checksum mismatch", func(t *testing.T) {
		s := newSandbox(t, "hello")
		_, err := s.run("fetch", "hello", map[string]string{"uri": uri, "expected-sha256": strings.Repeat("0", 64)})
		if err == nil || !strings.Contains(err.Error(), "sha256 is "+hex.EncodeToString(sum256[:])) {
			t.Fatalf("mismatch: %v", err)
		}
		if exists(filepath.Join(s.ws, "README")) {
			t.Error("an artifact with a wrong checksum was extracted")
		}
	})
	t.Run("no checksum", func(t *testing.T) {
		s := newSandbox(t, "hello")
		_, err := s.run("fetch", "hello", map[string]string{"uri": uri})
		if err == nil || !strings.Contains(err.Error(), "expected-sha256 or expected-sha512") {
			t.Fatalf("no checksum: %v", err)
		}
	})
	t.Run("not found, retries", func(t *testing.T) {
		s := newSandbox(t, "hello")
		before := hits.Load()
		_, err := s.run("fetch", "hello", map[string]string{
			"uri": srv.URL + "/missing.tar.gz", "expected-none": "yes", "retry-limit": "2",
		})
		if err == nil || !strings.Contains(err.Error(), "download failed after 2 tries") {
			t.Fatalf("404: %v", err)
		}
		if n := hits.Load() - before; n != 2 {
			t.Errorf("server saw %d requests, want 2", n)
		}
	})
}

// gitRepo is an upstream repository for git-checkout tests.
type gitRepo struct {
	t   *testing.T
	dir string
	env []string
}

func newGitRepo(t *testing.T) *gitRepo {
	t.Helper()
	fixture.NeedTool(t, "git")
	r := &gitRepo{t: t, dir: t.TempDir(), env: append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=up", "GIT_AUTHOR_EMAIL=up@example.org",
		"GIT_COMMITTER_NAME=up", "GIT_COMMITTER_EMAIL=up@example.org",
		"GIT_AUTHOR_DATE=@1600000000 +0000", "GIT_COMMITTER_DATE=@1600000000 +0000")}
	r.git("init", "--quiet", "--initial-branch=main")
	return r
}

func (r *gitRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = r.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes file=content and commits it, returning the hash.
func (r *gitRepo) commit(file, content string) string {
	r.t.Helper()
	write(r.t, r.dir, map[string]string{file: content})
	r.git("add", file)
	r.git("commit", "--quiet", "-m", "set "+file+" to "+content)
	return r.git("rev-parse", "HEAD")
}

func TestGitCheckout(t *testing.T) {
	up := newGitRepo(t)
	c1 := up.commit("VERSION", "1")
	up.git("tag", "-a", "-m", "release 1", "v1")
	tagObj := up.git("rev-parse", "refs/tags/v1")
	c2 := up.commit("VERSION", "2")
	up.git("tag", "v2")
	up.git("checkout", "--quiet", "-b", "fixes", c1)
	fix := up.commit("FIX", "patched")
	up.git("checkout", "--quiet", "main")
	url := "file://" + up.dir

	read := func(s *sandbox, p string) string {
		data, err := os.ReadFile(filepath.Join(s.ws, p))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	head := func(s *sandbox, dir string) string {
		cmd := exec.Command("git", "-c", "safe.directory=*", "rev-parse", "HEAD")
		cmd.Dir = filepath.Join(s.ws, dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	sandbox := func(t *testing.T) *sandbox {
		s := newSandbox(t, "up")
		s.tool("git")
		return s
	}

	t.Run("tag", func(t *testing.T) {
		s := sandbox(t)
		s.mustRun("git-checkout", "up", map[string]string{"repository": url, "tag": "v1", "expected-commit": c1})
		if got := read(s, "VERSION"); got != "1" {
			t.Errorf("VERSION = %q, want 1", got)
		}
		if got := head(s, "."); got != c1 {
			t.Errorf("HEAD = %s, want %s", got, c1)
		}
	})
	t.Run("annotated tag object as expected-commit", func(t *testing.T) {
		s := sandbox(t)
		out := s.mustRun("git-checkout", "up", map[string]string{"repository": url, "tag": "v1", "expected-commit": tagObj})
		if !strings.Contains(out, "annotated tag object") {
			t.Errorf("no warning about the tag object:\n%s", out)
		}
	})
	t.Run("tag at another commit", func(t *testing.T) {
		s := sandbox(t)
		_, err := s.run("git-checkout", "up", map[string]string{"repository": url, "tag": "v2", "expected-commit": c1})
		if err == nil || !strings.Contains(err.Error(), "tag v2 is commit "+c2) {
			t.Fatalf("wrong expected-commit: %v", err)
		}
	})
	t.Run("branch reset to older expected-commit", func(t *testing.T) {
		s := sandbox(t)
		s.mustRun("git-checkout", "up", map[string]string{
			"repository": url, "branch": "main", "expected-commit": c1, "destination": "src",
		})
		if got := head(s, "src"); got != c1 {
			t.Errorf("HEAD = %s, want %s", got, c1)
		}
		if got := read(s, "src/VERSION"); got != "1" {
			t.Errorf("VERSION = %q, want 1", got)
		}
	})
	t.Run("branch tip required", func(t *testing.T) {
		s := sandbox(t)
		_, err := s.run("git-checkout", "up", map[string]string{
			"repository": url, "branch": "main", "expected-commit": c1, "expected-commit-is-branch-tip": "true",
		})
		if err == nil || !strings.Contains(err.Error(), "is not the tip of main") {
			t.Fatalf("stale expected-commit with branch tip: %v", err)
		}
	})
	t.Run("branch and tag", func(t *testing.T) {
		s := sandbox(t)
		_, err := s.run("git-checkout", "up", map[string]string{"repository": url, "branch": "main", "tag": "v1"})
		if err == nil || !strings.Contains(err.Error(), "mutually exclusive") {
			t.Fatalf("branch with tag: %v", err)
		}
	})
	t.Run("cherry-picks", func(t *testing.T) {
		s := sandbox(t)
		out := s.mustRun("git-checkout", "up", map[string]string{
			"repository": url, "tag": "v1", "expected-commit": c1,
			"cherry-picks": "# backports\n\nfixes/" + fix + ": fix the thing # upstream PR 1\n",
		})
		if got := read(s, "FIX"); got != "patched" {
			t.Errorf("FIX = %q after cherry-pick", got)
		}
		if !strings.Contains(out, "applied 1 cherry-pick") {
			t.Errorf("output does not report the cherry-pick:\n%s", out)
		}
		cmd := exec.Command("git", "-c", "safe.directory=*", "log", "-1", "--format=%ct %B")
		cmd.Dir = s.ws
		log, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(log), "1700000000 ") || !strings.Contains(string(log), "cherry picked from commit "+fix) {
			t.Errorf("cherry-pick commit: %q, want committer date SOURCE_DATE_EPOCH and a -x trailer", log)
		}
	})
	t.Run("cherry-pick without reason", func(t *testing.T) {
		s := sandbox(t)
		_, err := s.run("git-checkout", "up", map[string]string{
			"repository": url, "tag": "v1", "cherry-picks": "fixes/" + fix + ":\n",
		})
		if err == nil || !strings.Contains(err.Error(), "no reason") {
			t.Fatalf("cherry-pick without a reason: %v", err)
		}
	})
	t.Run("bad boolean", func(t *testing.T) {
		s := sandbox(t)
		_, err := s.run("git-checkout", "up", map[string]string{"repository": url, "recurse-submodules": "yes"})
		if err == nil || !strings.Contains(err.Error(), "must be true or false") {
			t.Fatalf("recurse-submodules: yes: %v", err)
		}
	})
}

const patchA = `--- a/hello.txt
+++ b/hello.txt
@@ -1,2 +1,2 @@
 hello
-world
+pestle
`

const patchB = `--- a/hello.txt
+++ b/hello.txt
@@ -1,2 +1,3 @@
 hello
 pestle
+again
`

func TestPatch(t *testing.T) {
	for _, gnu := range []bool{false, true} {
		name := "busybox patch"
		if gnu {
			name = "GNU patch"
		}
		t.Run(name, func(t *testing.T) {
			setup := func(t *testing.T) *sandbox {
				s := newSandbox(t, "p")
				if gnu {
					s.tool("patch")
				}
				write(t, s.ws, map[string]string{
					"hello.txt": "hello\nworld\n", "a.patch": patchA, "b.patch": patchB,
					"series": "# order matters\na.patch\n\nb.patch\n",
				})
				return s
			}
			check := func(t *testing.T, s *sandbox) {
				data, _ := os.ReadFile(filepath.Join(s.ws, "hello.txt"))
				if string(data) != "hello\npestle\nagain\n" {
					t.Errorf("hello.txt = %q", data)
				}
			}
			t.Run("patches", func(t *testing.T) {
				s := setup(t)
				s.mustRun("patch", "p", map[string]string{"patches": "a.patch\nb.patch\n"})
				check(t, s)
			})
			t.Run("series", func(t *testing.T) {
				s := setup(t)
				s.mustRun("patch", "p", map[string]string{"series": "series"})
				check(t, s)
			})
			t.Run("missing patch", func(t *testing.T) {
				s := setup(t)
				_, err := s.run("patch", "p", map[string]string{"patches": "a.patch nope.patch"})
				if err == nil || !strings.Contains(err.Error(), "nope.patch: no such file") {
					t.Fatalf("missing patch: %v", err)
				}
			})
			t.Run("nothing", func(t *testing.T) {
				s := setup(t)
				_, err := s.run("patch", "p", nil)
				if err == nil || !strings.Contains(err.Error(), "set patches or series") {
					t.Fatalf("no patches: %v", err)
				}
			})
			t.Run("does not apply", func(t *testing.T) {
				s := setup(t)
				if _, err := s.run("patch", "p", map[string]string{"patches": "b.patch"}); err == nil {
					t.Fatal("a patch that does not apply succeeded")
				}
			})
		})
	}
}
