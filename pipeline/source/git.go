package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// GitInput is a `uses: git-checkout` step, with melange's input names.
type GitInput struct {
	Repository  string // repository (required)
	Destination string // destination; "" means "."
	// Depth (depth): 0 is melange's "unset" (1, or the full history when
	// both branch and expected-commit are given), -1 the full history.
	Depth          int
	Branch         string // branch; exclusive with Tag
	Tag            string // tag; exclusive with Branch
	ExpectedCommit string // expected-commit (full hash)
	// ExpectedCommitIsBranchTip (expected-commit-is-branch-tip) requires
	// expected-commit to be the branch's tip, not an older commit on it.
	ExpectedCommitIsBranchTip bool
	RecurseSubmodules         bool   // recurse-submodules
	ShallowSubmodules         bool   // shallow-submodules
	SubmoduleJobs             int    // submodule-jobs; 0 means 1
	CherryPicks               string // cherry-picks, see ParseCherryPicks
	SparsePaths               []string
	// MaxRetries (max-retries) is the number of retries of the clone or
	// fetch; InitialBackoff and MaxBackoff (zero: 2 s and 60 s) space them.
	MaxRetries     int
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	TypeHint       string // type-hint, for the SBOM
	Reason         string // reason, documentation only
}

// GitResult describes the checkout, for the log and the SBOM.
type GitResult struct {
	Repository string
	Path       string // the destination directory
	Branch     string
	Tag        string
	// Commit is the upstream commit checked out (expected-commit when it
	// is given), before cherry-picks.
	Commit string
	// Head is HEAD after cherry-picks (Commit when there are none).
	Head     string
	TypeHint string
}

func (in *GitInput) validate() error {
	fail := func(input, value, reason string) error {
		return &InputError{Pipeline: "git-checkout", Input: input, Value: value, Reason: reason}
	}
	switch {
	case in.Repository == "":
		return fail("repository", "", "is required")
	case strings.HasPrefix(in.Repository, "-"):
		return fail("repository", in.Repository, "must not start with '-'")
	case in.Branch != "" && in.Tag != "":
		return fail("tag", in.Tag, "branch ("+in.Branch+") and tag are mutually exclusive")
	case in.ExpectedCommit != "" && !isHex(in.ExpectedCommit, 40) && !isHex(in.ExpectedCommit, 64):
		return fail("expected-commit", in.ExpectedCommit, "must be a full commit hash (40 or 64 lowercase hex digits)")
	case in.ExpectedCommitIsBranchTip && in.Tag != "":
		return fail("expected-commit-is-branch-tip", "true", "is only valid with branch, not tag")
	case in.ExpectedCommitIsBranchTip && in.Branch == "":
		return fail("expected-commit-is-branch-tip", "true", "requires branch")
	case in.ExpectedCommitIsBranchTip && in.ExpectedCommit == "":
		return fail("expected-commit-is-branch-tip", "true", "requires expected-commit")
	case in.Depth < -1:
		return fail("depth", strconv.Itoa(in.Depth), "must be a positive number, -1 or unset")
	case in.SubmoduleJobs < 0:
		return fail("submodule-jobs", strconv.Itoa(in.SubmoduleJobs), "must not be negative")
	case in.MaxRetries < 0:
		return fail("max-retries", strconv.Itoa(in.MaxRetries), "must not be negative")
	}
	for _, ref := range []struct{ input, v string }{{"branch", in.Branch}, {"tag", in.Tag}} {
		if strings.HasPrefix(ref.v, "-") || strings.ContainsAny(ref.v, " \t\n:") {
			return fail(ref.input, ref.v, "is not a valid ref name")
		}
	}
	if _, err := localPath(in.Destination); err != nil {
		return fail("destination", in.Destination, err.Error())
	}
	if _, err := ParseCherryPicks(in.CherryPicks); err != nil {
		return err
	}
	return nil
}

// effectiveDepth resolves melange's "unset" depth: 1, or the full history
// (-1) when a branch and an expected-commit are given (the commit may be
// behind the tip) unless the commit must be the tip.
func (in *GitInput) effectiveDepth() int {
	if in.Depth != 0 {
		return in.Depth
	}
	if in.Branch != "" && in.ExpectedCommit != "" && !in.ExpectedCommitIsBranchTip {
		return -1
	}
	return 1
}

func (in *GitInput) ref() string {
	switch {
	case in.Tag != "":
		return "tag " + in.Tag
	case in.Branch != "":
		return "branch " + in.Branch
	}
	return "HEAD"
}

// isLocalRepo reports whether the repository is on this machine.
func isLocalRepo(repo string) bool {
	return strings.HasPrefix(repo, "file://") || strings.HasPrefix(repo, "/") ||
		strings.HasPrefix(repo, "./") || strings.HasPrefix(repo, "../")
}

// GitCheckout checks out in.Repository at <workspace>/<destination>. The
// repository is mirrored in the cache (git clone --mirror, then git fetch
// when the mirror lacks what the step pins); the working clone is made
// from the mirror with melange's depth, its origin pointing at the real
// repository. The tag or branch is checked out and expected-commit
// enforced (*CommitMismatchError; the hash of an annotated tag object is
// accepted with a warning, as melange does), then submodules are fetched
// and cherry-picks applied. The checkout is assembled in a staging
// directory and moved into place only when everything succeeded.
func GitCheckout(ctx context.Context, in GitInput, workspace string, opts Options) (*GitResult, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	picks, _ := ParseCherryPicks(in.CherryPicks)
	dest, _ := localPath(in.Destination)
	log := opts.logger()
	if in.Branch == "" && in.Tag == "" {
		log.Warn("git-checkout: no branch or tag given; checking out the default branch", "repository", in.Repository)
	}
	if in.ExpectedCommit == "" {
		log.Warn("git-checkout: no expected-commit; the checkout is not pinned", "repository", in.Repository)
	}
	ws, err := os.OpenRoot(workspace)
	if err != nil {
		return nil, fmt.Errorf("git-checkout %s: workspace: %w", in.Repository, err)
	}
	defer ws.Close()
	absWS, err := filepath.Abs(workspace)
	if err != nil {
		return nil, err
	}

	// A repository on this machine is read where the workspace view
	// puts it, and mirrored afresh: its path names different
	// repositories from one build to the next.
	from := in.Repository
	local := isLocalRepo(in.Repository)
	if local {
		if from, err = opts.localRepo(strings.TrimPrefix(in.Repository, "file://")); err == nil {
			err = checkLocalRepo(from)
		}
		if err != nil {
			return nil, fmt.Errorf("git-checkout %s: %w", in.Repository, err)
		}
	}
	cache := opts.CacheDir
	if cache == "" || local {
		tmp, err := os.MkdirTemp("", "pestle-git-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		cache = tmp
	}
	mirror, err := filepath.Abs(mirrorPath(cache, in.Repository))
	if err != nil {
		return nil, err
	}
	g := newGitRunner(&opts)
	home, err := os.MkdirTemp("", "pestle-git-home-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	g.home = home
	unlock, err := lockMirror(ctx, mirror, &opts)
	if err != nil {
		return nil, fmt.Errorf("git-checkout %s: %w", in.Repository, err)
	}
	defer unlock()
	if err := g.ensureMirror(ctx, &in, from, picks, mirror, absWS); err != nil {
		return nil, fmt.Errorf("git-checkout %s: %w", in.Repository, err)
	}

	stage, err := mkdirTemp(ws, ".pestle-git-")
	if err != nil {
		return nil, err
	}
	defer ws.RemoveAll(stage)
	c := &checkout{g: g, in: &in, picks: picks, mirror: mirror, dir: filepath.Join(absWS, stage), depth: in.effectiveDepth(), opts: &opts}
	res, err := c.run(ctx)
	if err != nil {
		return nil, err
	}
	if err := mergeMove(ws, stage, dest); err != nil {
		return nil, fmt.Errorf("git-checkout %s: move into %s: %w", in.Repository, dest, err)
	}
	res.Path = filepath.Join(absWS, dest)
	return res, nil
}

// checkLocalRepo refuses a local repository that would make git read
// outside it: a .git file (gitdir: elsewhere), a commondir,
// objects/info/alternates, or a symlink in its git dir.
func checkLocalRepo(dir string) error {
	gitDir := dir
	switch fi, err := os.Lstat(filepath.Join(dir, ".git")); {
	case err == nil && fi.IsDir():
		gitDir = filepath.Join(dir, ".git")
	case err == nil:
		kind := "a file"
		if !fi.Mode().IsRegular() {
			kind = fsutil.Kind(fi.Mode())
		}
		return fmt.Errorf("%s/.git is %s, not a directory (a worktree or a submodule's checkout): name the repository it points to", dir, kind)
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	for _, f := range []string{"commondir", "objects/info/alternates"} {
		if _, err := os.Lstat(filepath.Join(gitDir, f)); err == nil {
			return fmt.Errorf("%s has %s, which makes git read another repository: clone that one", gitDir, f)
		}
	}
	return filepath.WalkDir(gitDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symlink: a local repository read on the host may hold none", p)
		}
		return nil
	})
}
