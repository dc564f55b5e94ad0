package source

import (
	"context"
	"strconv"
)

// checkout builds the working clone of one git-checkout step in dir.
type checkout struct {
	g      *gitRunner
	in     *GitInput
	picks  []CherryPick
	mirror string // mirror directory
	dir    string // the (empty) staging directory to clone into
	depth  int
	opts   *Options
}

func (c *checkout) git(ctx context.Context, args ...string) (string, error) {
	return c.g.run(ctx, c.dir, nil, args...)
}

func (c *checkout) mirrorURL() string { return "file://" + c.mirror }

func (c *checkout) depthFlag() []string {
	if c.depth == -1 {
		return nil
	}
	return []string{"--depth=" + strconv.Itoa(c.depth)}
}

func (c *checkout) run(ctx context.Context) (*GitResult, error) {
	in := c.in
	if err := c.clone(ctx); err != nil {
		return nil, err
	}
	commit, err := c.checkoutRef(ctx)
	if err != nil {
		return nil, err
	}
	if in.RecurseSubmodules {
		args := []string{"submodule", "update", "--init", "--recursive", "--quiet",
			"--jobs=" + strconv.Itoa(max(in.SubmoduleJobs, 1))}
		if in.ShallowSubmodules {
			args = append(args, "--depth=1")
		}
		if _, err := c.git(ctx, args...); err != nil {
			return nil, err
		}
	}
	if err := c.cherryPick(ctx); err != nil {
		return nil, err
	}
	head, err := c.git(ctx, "rev-parse", "--verify", "HEAD")
	if err != nil {
		return nil, err
	}
	return &GitResult{Repository: in.Repository, Branch: in.Branch, Tag: in.Tag,
		Commit: commit, Head: head, TypeHint: in.TypeHint}, nil
}

// clone makes the working clone from the mirror: shallow clones go
// through file:// (a local path ignores --depth), full ones copy the
// object store (never hard links: a build must not be able to change the
// cache). Origin is then pointed at the real repository, which is also
// what relative submodule URLs resolve against.
func (c *checkout) clone(ctx context.Context) error {
	in := c.in
	args := []string{"clone", "--quiet", "--origin=origin", "--no-hardlinks",
		"--config=advice.detachedHead=false",
		"--config=user.name=pestle",
		"--config=user.email=pestle@localhost"}
	if ref := in.Branch + in.Tag; ref != "" {
		args = append(args, "--branch="+ref)
	}
	if len(in.SparsePaths) > 0 {
		args = append(args, "--sparse")
	}
	args = append(args, c.depthFlag()...)
	src := c.mirror
	if c.depth != -1 {
		src = c.mirrorURL()
	}
	args = append(args, "--", src, c.dir)
	if _, err := c.g.run(ctx, "", nil, args...); err != nil {
		return err
	}
	if _, err := c.git(ctx, "remote", "set-url", "origin", in.Repository); err != nil {
		return err
	}
	if len(in.SparsePaths) > 0 {
		args := append([]string{"sparse-checkout", "set", "--cone", "--"}, in.SparsePaths...)
		if _, err := c.git(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// checkoutRef checks out the tag (by its tag ref, even when a branch has
// the same name) or verifies the branch/HEAD, enforcing expected-commit.
// It returns the commit checked out.
func (c *checkout) checkoutRef(ctx context.Context) (string, error) {
	in := c.in
	exp := in.ExpectedCommit
	if in.Tag != "" {
		ref := "refs/origin/tags/" + in.Tag
		args := append([]string{"fetch", "--quiet", "--no-tags"}, c.depthFlag()...)
		args = append(args, c.mirrorURL(), "+refs/tags/"+in.Tag+":"+ref)
		if _, err := c.git(ctx, args...); err != nil {
			return "", err
		}
		if _, err := c.git(ctx, "checkout", "--quiet", ref); err != nil {
			return "", err
		}
		found, err := c.git(ctx, "rev-parse", "--verify", "HEAD")
		if err != nil || exp == "" || exp == found {
			return found, err
		}
		tagObj, err := c.git(ctx, "rev-parse", "--verify", ref)
		if err != nil {
			return "", err
		}
		if exp != tagObj {
			return "", &CommitMismatchError{Repository: in.Repository, Ref: in.ref(), Expected: exp, Actual: found,
				Hint: "the tag points to " + found + "; update expected-commit if the tag was moved on purpose"}
		}
		c.opts.logger().Warn("git-checkout: expected-commit is the annotated tag object, not the commit; set expected-commit to the commit",
			"tag", in.Tag, "tag-object", tagObj, "commit", found)
		return found, nil
	}

	found, err := c.git(ctx, "rev-parse", "--verify", "HEAD")
	if err != nil || exp == "" || exp == found {
		return found, err
	}
	mismatch := &CommitMismatchError{Repository: in.Repository, Ref: in.ref(), Expected: exp, Actual: found}
	switch {
	case in.ExpectedCommitIsBranchTip:
		mismatch.Hint = "expected-commit must be the tip of the branch; the branch moved or the version was bumped without updating expected-commit"
		return "", mismatch
	case c.depth != -1:
		mismatch.Hint = "set depth: -1 to check out an older commit of the branch"
		return "", mismatch
	}
	if _, err := c.git(ctx, "merge-base", "--is-ancestor", exp, found); err != nil {
		mismatch.Hint = "expected-commit is not reachable from the tip; the branch may have diverged from the pinned commit"
		return "", mismatch
	}
	c.opts.logger().Info("git-checkout: resetting to expected-commit", "ref", in.ref(), "tip", found, "commit", exp)
	if _, err := c.git(ctx, "reset", "--quiet", "--hard", exp); err != nil {
		return "", err
	}
	return exp, nil
}

// cherryPick applies the cherry-picks with a fixed committer date, after
// fetching each named branch from the mirror (unshallowing a shallow
// clone, as melange does).
func (c *checkout) cherryPick(ctx context.Context) error {
	if len(c.picks) == 0 {
		return nil
	}
	log := c.opts.logger()
	fetched := map[string]bool{}
	for _, p := range c.picks {
		need := ""
		switch {
		case p.Branch != "" && !fetched[p.Branch]:
			need = p.Branch + ":" + p.Branch
			fetched[p.Branch] = true
		case p.Branch == "" && !c.g.ok(ctx, c.dir, "cat-file", "-e", p.Commit+"^{commit}"):
			need = p.Commit
		}
		if need != "" {
			args := []string{"fetch", "--quiet"}
			if shallow, _ := c.git(ctx, "rev-parse", "--is-shallow-repository"); shallow == "true" {
				args = append(args, "--unshallow")
			}
			if _, err := c.git(ctx, append(args, c.mirrorURL(), need)...); err != nil {
				return err
			}
		}
		env := []string{"GIT_COMMITTER_DATE=@" + strconv.FormatInt(c.opts.commitDate(), 10) + " +0000"}
		if _, err := c.g.run(ctx, c.dir, env, "cherry-pick", "-x", p.Commit); err != nil {
			return err
		}
		log.Info("git-checkout: cherry-picked", "commit", p.Commit, "branch", p.Branch, "comment", p.Comment)
	}
	return nil
}
