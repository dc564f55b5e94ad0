package source

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// mirrorPath is where the mirror of repo lives in the cache:
// <cache>/git/<sha256 of the repository string>.
func mirrorPath(cache, repo string) string {
	sum := sha256.Sum256([]byte(repo))
	return filepath.Join(cache, "git", hex.EncodeToString(sum[:]))
}

// lockMirror takes an exclusive lock on <dir>.lock, waiting (and logging)
// while another build holds it. The returned function releases it.
func lockMirror(ctx context.Context, dir string, opts *Options) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for waited := false; ; waited = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if !waited {
			opts.logger().Info("git-checkout: waiting for another build using the mirror", "lock", f.Name())
		}
		if err := opts.wait(ctx, 200*time.Millisecond); err != nil {
			f.Close()
			return nil, err
		}
	}
}

// ensureMirror makes the mirror of in.Repository (cloned from from, its
// resolved path when it is local) at dir, or brings an
// existing one up to date. A mirror that already holds everything the
// step pins (expected-commit for the tag or branch, and every
// cherry-pick) is used as it is, with no network access.
func (g *gitRunner) ensureMirror(ctx context.Context, in *GitInput, from string, picks []CherryPick, dir, workspace string) error {
	log := g.opts.logger()
	if fi, err := os.Stat(filepath.Join(dir, "objects")); err == nil && fi.IsDir() {
		if g.mirrorSatisfies(ctx, in, picks, dir) {
			log.Info("git-checkout: mirror already holds the pinned commit", "repository", in.Repository, "mirror", dir)
			return nil
		}
		log.Info("git-checkout: updating mirror", "repository", in.Repository, "mirror", dir)
		return g.retry(ctx, in, "git fetch", func() error {
			_, err := g.run(ctx, dir, nil, "fetch", "--quiet", "--prune", "origin")
			return err
		})
	}
	log.Info("git-checkout: cloning mirror", "repository", in.Repository, "mirror", dir)
	tmp := fmt.Sprintf("%s.tmp-%s", dir, randomHex())
	defer os.RemoveAll(tmp)
	err := g.retry(ctx, in, "git clone", func() error {
		os.RemoveAll(tmp)
		_, err := g.run(ctx, workspace, nil, "clone", "--mirror", "--quiet", "--", from, tmp)
		return err
	})
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// mirrorSatisfies reports whether the mirror can serve the step without
// a fetch: only when expected-commit pins the result (a moving branch or
// an unpinned checkout always asks the server).
func (g *gitRunner) mirrorSatisfies(ctx context.Context, in *GitInput, picks []CherryPick, dir string) bool {
	exp := in.ExpectedCommit
	if exp == "" || in.ExpectedCommitIsBranchTip {
		return false
	}
	for _, p := range picks {
		if !g.ok(ctx, dir, "cat-file", "-e", p.Commit+"^{commit}") {
			return false
		}
		if p.Branch != "" && !g.ok(ctx, dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+p.Branch) {
			return false
		}
	}
	rev := func(ref string) string {
		out, err := g.run(ctx, dir, nil, "rev-parse", "--verify", "--quiet", ref)
		if err != nil {
			return ""
		}
		return out
	}
	switch {
	case in.Tag != "":
		return rev("refs/tags/"+in.Tag+"^{commit}") == exp || rev("refs/tags/"+in.Tag) == exp
	case in.Branch != "":
		tip := rev("refs/heads/" + in.Branch + "^{commit}")
		if tip == "" {
			return false
		}
		if tip == exp {
			return true
		}
		return in.effectiveDepth() == -1 && g.ok(ctx, dir, "merge-base", "--is-ancestor", exp, tip)
	default:
		return rev("HEAD^{commit}") == exp
	}
}
