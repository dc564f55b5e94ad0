package source

import (
	"context"
	"errors"
	"io"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// upstream is a repository made in the test with the host git:
//
//	c1 (tag v1, lightweight) - c2 (tag v2, annotated) - c4   main
//	                              \- c3                      feature
type upstream struct {
	dir, url       string
	c1, c2, c3, c4 string
	v2obj          string // the annotated tag object of v2
}

func needGit(t *testing.T) {
	t.Helper()
	fixture.NeedTool(t, "git")
}

// hostGit runs git for test setup with a fixed identity and dates.
func hostGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Up Stream", "GIT_AUTHOR_EMAIL=up@example.org",
		"GIT_COMMITTER_NAME=Up Stream", "GIT_COMMITTER_EMAIL=up@example.org",
		"GIT_AUTHOR_DATE=1600000000 +0000", "GIT_COMMITTER_DATE=1600000000 +0000")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitFile(t *testing.T, dir, name, body, msg string) string {
	t.Helper()
	os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	hostGit(t, dir, "add", name)
	hostGit(t, dir, "commit", "-q", "-m", msg)
	return hostGit(t, dir, "rev-parse", "HEAD")
}

// gitServer serves the repositories under root over HTTP with git's own
// http-backend, as a forge would: git-checkout treats a repository on
// this machine differently (see TestGitCheckoutLocal).
func gitServer(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		if fixture.CI() {
			t.Fatalf("git-http-backend: %v", err)
		}
		t.Skipf("git-http-backend: %v", err)
	}
	srv := httptest.NewServer(&cgi.Handler{Path: backend, Env: []string{
		"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=safe.directory", "GIT_CONFIG_VALUE_0=*",
	}, Stderr: io.Discard})
	t.Cleanup(srv.Close)
	return srv.URL
}

func newUpstream(t *testing.T) *upstream {
	needGit(t)
	root := t.TempDir()
	u := &upstream{dir: filepath.Join(root, "up.git")}
	u.url = gitServer(t, root) + "/up.git"
	os.Mkdir(u.dir, 0o755)
	hostGit(t, u.dir, "init", "-q", "-b", "main")
	u.c1 = commitFile(t, u.dir, "a.txt", "one\n", "one")
	hostGit(t, u.dir, "tag", "v1")
	u.c2 = commitFile(t, u.dir, "a.txt", "two\n", "two")
	hostGit(t, u.dir, "tag", "-a", "-m", "release 2", "v2")
	u.v2obj = hostGit(t, u.dir, "rev-parse", "v2")
	hostGit(t, u.dir, "checkout", "-q", "-b", "feature")
	u.c3 = commitFile(t, u.dir, "b.txt", "feature\n", "add b")
	hostGit(t, u.dir, "checkout", "-q", "main")
	u.c4 = commitFile(t, u.dir, "a.txt", "four\n", "four")
	return u
}

// gitLog records the git commands of a checkout.
type gitLog struct {
	mu   sync.Mutex
	cmds []string
}

func (l *gitLog) hook(dir string, args []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = append(l.cmds, strings.Join(args, " "))
}

func (l *gitLog) count(prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.cmds {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func gitOpts(cache string, log *gitLog) Options {
	var waits []time.Duration
	o := Options{CacheDir: cache, sleep: noWait(&waits), SourceDateEpoch: time.Unix(1700000000, 0)}
	if log != nil {
		o.gitHook = log.hook
	}
	return o
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGitCheckoutRefs(t *testing.T) {
	u := newUpstream(t)
	cache := t.TempDir()
	cases := []struct {
		name       string
		in         GitInput
		commit, a  string
		wantB      bool
		wantShallw bool
	}{
		{"lightweight tag", GitInput{Tag: "v1", ExpectedCommit: u.c1}, u.c1, "one\n", false, true},
		{"annotated tag", GitInput{Tag: "v2", ExpectedCommit: u.c2}, u.c2, "two\n", false, true},
		{"annotated tag object as expected-commit", GitInput{Tag: "v2", ExpectedCommit: u.v2obj}, u.c2, "two\n", false, true},
		{"branch tip", GitInput{Branch: "feature"}, u.c3, "two\n", true, true},
		{"older commit on branch", GitInput{Branch: "main", ExpectedCommit: u.c2}, u.c2, "two\n", false, false},
		{"default branch", GitInput{ExpectedCommit: u.c4}, u.c4, "four\n", false, true},
		{"full depth tag", GitInput{Tag: "v1", Depth: -1}, u.c1, "one\n", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := t.TempDir()
			os.WriteFile(filepath.Join(ws, "keep.patch"), []byte("mine"), 0o644)
			c.in.Repository = u.url
			res, err := GitCheckout(context.Background(), c.in, ws, gitOpts(cache, nil))
			if err != nil {
				t.Fatal(err)
			}
			if res.Commit != c.commit || res.Head != c.commit || res.Path != ws {
				t.Errorf("result %+v, want commit %s", res, c.commit)
			}
			if got := readFile(t, filepath.Join(ws, "a.txt")); got != c.a {
				t.Errorf("a.txt = %q, want %q", got, c.a)
			}
			if _, err := os.Stat(filepath.Join(ws, "b.txt")); (err == nil) != c.wantB {
				t.Errorf("b.txt present = %v, want %v", err == nil, c.wantB)
			}
			if readFile(t, filepath.Join(ws, "keep.patch")) != "mine" {
				t.Error("workspace file lost")
			}
			if got := hostGit(t, ws, "rev-parse", "HEAD"); got != c.commit {
				t.Errorf("HEAD = %s", got)
			}
			if got := hostGit(t, ws, "remote", "get-url", "origin"); got != u.url {
				t.Errorf("origin = %s, want the repository", got)
			}
			if got := hostGit(t, ws, "rev-parse", "--is-shallow-repository"); got != map[bool]string{true: "true", false: "false"}[c.wantShallw] {
				t.Errorf("shallow = %s, want %v", got, c.wantShallw)
			}
			if hostGit(t, ws, "status", "--porcelain", "--untracked-files=no") != "" {
				t.Error("checkout is not clean")
			}
		})
	}
}

func TestGitCheckoutExpectedCommitMismatch(t *testing.T) {
	u := newUpstream(t)
	cases := []struct {
		name   string
		in     GitInput
		actual string
		hint   string
	}{
		{"tag", GitInput{Tag: "v1", ExpectedCommit: u.c2}, u.c1, "tag points to"},
		{"annotated tag", GitInput{Tag: "v2", ExpectedCommit: u.c1}, u.c2, "tag points to"},
		{"branch diverged", GitInput{Branch: "main", ExpectedCommit: u.c3}, u.c4, "not reachable"},
		{"branch tip", GitInput{Branch: "main", ExpectedCommit: u.c2, ExpectedCommitIsBranchTip: true}, u.c4, "tip of the branch"},
		{"shallow branch", GitInput{Branch: "main", ExpectedCommit: u.c2, Depth: 1}, u.c4, "depth: -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ws := t.TempDir()
			c.in.Repository = u.url
			_, err := GitCheckout(context.Background(), c.in, ws, gitOpts(t.TempDir(), nil))
			var me *CommitMismatchError
			if !errors.As(err, &me) || !errors.Is(err, ErrCommitMismatch) {
				t.Fatalf("err = %v, want *CommitMismatchError", err)
			}
			if me.Expected != c.in.ExpectedCommit || me.Actual != c.actual || !strings.Contains(me.Hint, c.hint) {
				t.Errorf("error %+v", me)
			}
			for _, h := range []string{c.in.ExpectedCommit, c.actual, u.url} {
				if !strings.Contains(err.Error(), h) {
					t.Errorf("message %q lacks %s", err, h)
				}
			}
			if left, _ := os.ReadDir(ws); len(left) != 0 {
				t.Errorf("a failed checkout left %v", left)
			}
		})
	}
}

func TestGitCheckoutCherryPicks(t *testing.T) {
	u := newUpstream(t)
	ws := t.TempDir()
	in := GitInput{Repository: u.url, Tag: "v1", ExpectedCommit: u.c1, Destination: "src/up",
		CherryPicks: "# backports\n\nfeature/" + u.c3 + ": add b.txt  # from the feature branch\n"}
	res, err := GitCheckout(context.Background(), in, ws, gitOpts(t.TempDir(), nil))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ws, "src", "up")
	if readFile(t, filepath.Join(dir, "b.txt")) != "feature\n" || readFile(t, filepath.Join(dir, "a.txt")) != "one\n" {
		t.Error("cherry-pick not applied on top of v1")
	}
	if res.Commit != u.c1 || res.Head == u.c1 || res.Path != dir {
		t.Errorf("result %+v", res)
	}
	msg := hostGit(t, dir, "log", "-1", "--format=%B%n%ct")
	if !strings.Contains(msg, "(cherry picked from commit "+u.c3+")") || !strings.HasSuffix(msg, "1700000000") {
		t.Errorf("cherry-pick commit:\n%s", msg)
	}

	// A commit named without its branch is fetched from the mirror.
	ws2 := t.TempDir()
	in.CherryPicks = u.c3 + ": add b.txt"
	in.Destination = ""
	if _, err := GitCheckout(context.Background(), in, ws2, gitOpts(t.TempDir(), nil)); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(ws2, "b.txt")) != "feature\n" {
		t.Error("cherry-pick without a branch not applied")
	}
	// The same cherry-picks give the same commit (fixed committer date).
	if got := hostGit(t, ws2, "rev-parse", "HEAD"); got != res.Head {
		t.Errorf("cherry-pick not reproducible: %s vs %s", got, res.Head)
	}
}

func TestGitCheckoutMirrorReuse(t *testing.T) {
	u := newUpstream(t)
	cache := t.TempDir()
	var log gitLog
	in := GitInput{Repository: u.url, Tag: "v2", ExpectedCommit: u.c2}
	if _, err := GitCheckout(context.Background(), in, t.TempDir(), gitOpts(cache, &log)); err != nil {
		t.Fatal(err)
	}
	mirror := mirrorPath(cache, u.url)
	if _, err := os.Stat(filepath.Join(mirror, "objects")); err != nil {
		t.Fatalf("no mirror at %s: %v", mirror, err)
	}
	if log.count("clone --mirror") != 1 {
		t.Fatalf("first checkout did not clone the mirror: %q", log.cmds)
	}

	// Pinned again: served by the mirror, no clone and no fetch from origin.
	log = gitLog{}
	if _, err := GitCheckout(context.Background(), in, t.TempDir(), gitOpts(cache, &log)); err != nil {
		t.Fatal(err)
	}
	if log.count("clone --mirror") != 0 || log.count("fetch --quiet --prune") != 0 {
		t.Errorf("pinned checkout went to the network: %q", log.cmds)
	}

	// Unpinned: the mirror is fetched (not cloned again) and sees new work.
	c5 := commitFile(t, u.dir, "a.txt", "five\n", "five")
	log = gitLog{}
	ws := t.TempDir()
	res, err := GitCheckout(context.Background(), GitInput{Repository: u.url, Branch: "main"}, ws, gitOpts(cache, &log))
	if err != nil {
		t.Fatal(err)
	}
	if log.count("clone --mirror") != 0 || log.count("fetch --quiet --prune") != 1 {
		t.Errorf("unpinned checkout: %q", log.cmds)
	}
	if res.Commit != c5 || readFile(t, filepath.Join(ws, "a.txt")) != "five\n" {
		t.Errorf("fetched mirror missed the new commit: %+v", res)
	}

	// Pinned to a commit the mirror lacks: fetched.
	c6 := commitFile(t, u.dir, "a.txt", "six\n", "six")
	log = gitLog{}
	if _, err := GitCheckout(context.Background(), GitInput{Repository: u.url, ExpectedCommit: c6}, t.TempDir(), gitOpts(cache, &log)); err != nil {
		t.Fatal(err)
	}
	if log.count("fetch --quiet --prune") != 1 {
		t.Errorf("mirror lacking the pinned commit was not fetched: %q", log.cmds)
	}
}

func TestGitCheckoutRetriesClone(t *testing.T) {
	needGit(t)
	var log gitLog
	in := GitInput{Repository: gitServer(t, t.TempDir()) + "/absent.git", MaxRetries: 2}
	_, err := GitCheckout(context.Background(), in, t.TempDir(), gitOpts(t.TempDir(), &log))
	var ge *GitError
	if !errors.As(err, &ge) || !strings.Contains(err.Error(), "after 2 retries") {
		t.Fatalf("err = %v", err)
	}
	if n := log.count("clone --mirror"); n != 3 {
		t.Errorf("clone attempts = %d, want 3", n)
	}
}

func TestGitCheckoutSubmodules(t *testing.T) {
	needGit(t)
	base := t.TempDir()
	sub := filepath.Join(base, "sub.git")
	os.Mkdir(sub, 0o755)
	hostGit(t, sub, "init", "-q", "-b", "main")
	commitFile(t, sub, "lib.c", "lib\n", "lib")
	super := filepath.Join(base, "super.git")
	os.Mkdir(super, 0o755)
	hostGit(t, super, "init", "-q", "-b", "main")
	commitFile(t, super, "main.c", "main\n", "main")
	hostGit(t, super, "-c", "protocol.file.allow=always", "submodule", "add", "-q", "../sub.git", "third_party/sub")
	hostGit(t, super, "commit", "-q", "-m", "add submodule")
	head := hostGit(t, super, "rev-parse", "HEAD")

	ws := t.TempDir()
	in := GitInput{Repository: gitServer(t, base) + "/super.git", Branch: "main", ExpectedCommit: head, RecurseSubmodules: true, ShallowSubmodules: true}
	if _, err := GitCheckout(context.Background(), in, ws, gitOpts(t.TempDir(), nil)); err != nil {
		t.Fatal(err)
	}
	if readFile(t, filepath.Join(ws, "third_party", "sub", "lib.c")) != "lib\n" {
		t.Error("submodule not checked out")
	}
	if hostGit(t, ws, "submodule", "status") == "" || strings.HasPrefix(hostGit(t, ws, "submodule", "status"), "-") {
		t.Error("submodule not initialised in the moved checkout")
	}

	// A submodule URL that is a path on this machine is not followed:
	// git-checkout runs on the host, and the path could be anything there.
	hostGit(t, super, "config", "-f", ".gitmodules", "submodule.third_party/sub.url", sub)
	hostGit(t, super, "commit", "-q", "-am", "point the submodule at a local path")
	in.ExpectedCommit = hostGit(t, super, "rev-parse", "HEAD")
	_, err := GitCheckout(context.Background(), in, t.TempDir(), gitOpts(t.TempDir(), nil))
	if err == nil || !strings.Contains(err.Error(), "transport 'file' not allowed") {
		t.Errorf("a local submodule URL: %v", err)
	}
}

func TestGitCheckoutSparse(t *testing.T) {
	u := newUpstream(t)
	os.MkdirAll(filepath.Join(u.dir, "keep", "x"), 0o755)
	os.MkdirAll(filepath.Join(u.dir, "drop"), 0o755)
	os.WriteFile(filepath.Join(u.dir, "keep", "x", "k"), []byte("k"), 0o644)
	os.WriteFile(filepath.Join(u.dir, "drop", "d"), []byte("d"), 0o644)
	hostGit(t, u.dir, "add", ".")
	hostGit(t, u.dir, "commit", "-q", "-m", "dirs")
	ws := t.TempDir()
	in := GitInput{Repository: u.url, Branch: "main", SparsePaths: []string{"keep"}}
	if _, err := GitCheckout(context.Background(), in, ws, gitOpts(t.TempDir(), nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(ws, "keep", "x", "k")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(ws, "drop")); !os.IsNotExist(err) {
		t.Error("sparse checkout wrote drop/")
	}
}

func TestGitCheckoutInputErrors(t *testing.T) {
	cases := []struct {
		in    GitInput
		input string
	}{
		{GitInput{}, "repository"},
		{GitInput{Repository: "--upload-pack=touch /tmp/x"}, "repository"},
		{GitInput{Repository: "r", Branch: "a", Tag: "b"}, "tag"},
		{GitInput{Repository: "r", ExpectedCommit: "abc123"}, "expected-commit"},
		{GitInput{Repository: "r", Tag: "v1", ExpectedCommitIsBranchTip: true}, "expected-commit-is-branch-tip"},
		{GitInput{Repository: "r", Branch: "main", ExpectedCommitIsBranchTip: true}, "expected-commit-is-branch-tip"},
		{GitInput{Repository: "r", Destination: "../x"}, "destination"},
		{GitInput{Repository: "r", Branch: "--evil"}, "branch"},
		{GitInput{Repository: "r", CherryPicks: "deadbeef no colon"}, "cherry-picks"},
		{GitInput{Repository: "r", Depth: -2}, "depth"},
	}
	for _, c := range cases {
		_, err := GitCheckout(context.Background(), c.in, t.TempDir(), Options{})
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != c.input {
			t.Errorf("%+v: err = %v, want an InputError on %s", c.in, err, c.input)
		}
	}
}

func TestGitCheckoutConcurrentSharesOneMirror(t *testing.T) {
	u := newUpstream(t)
	cache := t.TempDir()
	var log gitLog
	opts := Options{CacheDir: cache, gitHook: log.hook} // real waits: the lock is contended
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = GitCheckout(context.Background(), GitInput{Repository: u.url, Tag: "v1", ExpectedCommit: u.c1}, t.TempDir(), opts)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := log.count("clone --mirror"); n != 1 {
		t.Errorf("%d mirror clones for one repository", n)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "git", "*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary mirrors left: %v", left)
	}
}

// A repository on this machine is read only through Local, which the
// build points at the workspace, and never one that makes git read
// elsewhere.
func TestGitCheckoutLocal(t *testing.T) {
	u := newUpstream(t)
	identity := func(p string) (string, error) { return p, nil }
	in := GitInput{Repository: "file://" + u.dir, Branch: "main", ExpectedCommit: u.c4}
	if _, err := GitCheckout(context.Background(), in, t.TempDir(), gitOpts(t.TempDir(), nil)); err == nil || !strings.Contains(err.Error(), "local repositories are not available") {
		t.Errorf("without Local: %v", err)
	}
	opts := gitOpts(t.TempDir(), nil)
	opts.Local = identity
	ws := t.TempDir()
	res, err := GitCheckout(context.Background(), in, ws, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit != u.c4 || readFile(t, filepath.Join(ws, "a.txt")) != "four\n" {
		t.Errorf("checkout %+v", res)
	}
	if left, _ := filepath.Glob(filepath.Join(opts.CacheDir, "git", "*")); len(left) != 0 {
		t.Errorf("a local repository was mirrored in the cache: %v", left)
	}

	other := t.TempDir()
	for name, spoil := range map[string]func(repo string){
		"alternates": func(repo string) {
			os.WriteFile(filepath.Join(repo, ".git", "objects", "info", "alternates"), []byte(other+"\n"), 0o644)
		},
		"gitfile": func(repo string) {
			os.RemoveAll(filepath.Join(repo, ".git"))
			os.WriteFile(filepath.Join(repo, ".git"), []byte("gitdir: "+other+"\n"), 0o644)
		},
		"symlink": func(repo string) {
			os.Symlink(other, filepath.Join(repo, ".git", "refs", "elsewhere"))
		},
	} {
		repo := filepath.Join(t.TempDir(), "r")
		hostGit(t, filepath.Dir(repo), "clone", "-q", u.dir, repo)
		spoil(repo)
		in := GitInput{Repository: repo, Branch: "main"}
		if _, err := GitCheckout(context.Background(), in, t.TempDir(), opts); err == nil || !strings.Contains(err.Error(), "git-checkout "+repo) {
			t.Errorf("%s: %v, want a refusal", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// git runs without the user's credentials: not their HOME (ssh keys,
// ~/.netrc), not their ssh agent.
func TestGitRunsWithoutHostCredentials(t *testing.T) {
	u := newUpstream(t)
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SSH_AUTH_SOCK", filepath.Join(home, "agent.sock"))
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	seen := filepath.Join(t.TempDir(), "env")
	wrapper := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\necho \"HOME=$HOME SSH_AUTH_SOCK=$SSH_AUTH_SOCK\" >> " + seen + "\nexec " + real + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	opts := gitOpts(t.TempDir(), nil)
	opts.Git = wrapper
	if _, err := GitCheckout(context.Background(), GitInput{Repository: u.url, Tag: "v1", ExpectedCommit: u.c1}, t.TempDir(), opts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, seen)), "\n")
	if len(lines) < 2 {
		t.Fatalf("git ran %d times", len(lines))
	}
	for _, l := range lines {
		if strings.Contains(l, home) || !strings.HasSuffix(l, "SSH_AUTH_SOCK=") {
			t.Fatalf("git saw %q", l)
		}
	}
}
