package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// gitRunner runs the host's git with a clean environment: no system or
// user configuration, no terminal or ssh prompts, no hooks, no background
// maintenance, and a timeout per command that kills git's whole process
// group.
type gitRunner struct {
	opts    *Options
	bin     string
	timeout time.Duration
	home    string // HOME for git: an empty dir, "" for the host's /nonexistent
}

func newGitRunner(opts *Options) *gitRunner {
	g := &gitRunner{opts: opts, bin: opts.Git, timeout: opts.GitTimeout}
	if g.bin == "" {
		g.bin = "git"
	}
	if g.timeout == 0 {
		g.timeout = time.Hour
	}
	return g
}

// passEnv are the host variables git may need to reach a server. Not
// HOME nor SSH_AUTH_SOCK: git-checkout runs on the host, and a recipe
// must not clone with the user's credentials (ssh keys and agent,
// ~/.netrc) what it could not reach in melange's guest.
var passEnv = []string{"PATH", "TMPDIR",
	"http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "GIT_SSL_CAINFO"}

func gitEnv(home string, extra []string) []string {
	if home == "" {
		home = "/nonexistent"
	}
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + home + "/.config",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_SSH_COMMAND=ssh -o BatchMode=yes",
		"LC_ALL=C",
	}
	for _, k := range passEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, extra...)
}

// run runs git in dir and returns its standard output without the final
// newline.
func (g *gitRunner) run(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	if g.opts.gitHook != nil {
		g.opts.gitHook(dir, args)
	}
	// protocol.file.allow=user: the repository the step names may be a
	// local one (resolved into the workspace before git sees it), but
	// not a submodule, whose URL git would follow anywhere on the host.
	full := append([]string{
		"-c", "safe.directory=*",
		"-c", "maintenance.auto=false",
		"-c", "gc.auto=0",
		"-c", "core.hooksPath=/dev/null",
		"-c", "protocol.file.allow=user",
	}, args...)
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g.bin, full...)
	cmd.Dir = dir
	cmd.Env = gitEnv(g.home, env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: 8 << 10}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	g.opts.logger().Debug("git", "dir", dir, "args", strings.Join(args, " "))
	err := cmd.Run()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", g.timeout, err)
		} else if ctx.Err() != nil {
			err = ctx.Err()
		}
		return "", &GitError{Args: args, Dir: dir, Err: err, Stderr: stderr.String()}
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// ok runs git and reports only whether it succeeded (rev-parse --verify,
// merge-base --is-ancestor, cat-file -e).
func (g *gitRunner) ok(ctx context.Context, dir string, args ...string) bool {
	_, err := g.run(ctx, dir, nil, args...)
	return err == nil
}

// retry runs fn up to 1+in.MaxRetries times with exponential backoff and
// jitter between attempts, as melange retries its clone.
func (g *gitRunner) retry(ctx context.Context, in *GitInput, what string, fn func() error) error {
	backoff, maxBackoff := in.InitialBackoff, in.MaxBackoff
	if backoff <= 0 {
		backoff = 2 * time.Second
	}
	if maxBackoff <= 0 {
		maxBackoff = time.Minute
	}
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || ctx.Err() != nil || attempt >= in.MaxRetries {
			if err != nil && attempt > 0 {
				err = fmt.Errorf("%s failed after %d retries: %w", what, attempt, err)
			}
			return err
		}
		wait := backoff + rand.N(backoff+1)
		g.opts.logger().Warn("git-checkout: retrying", "what", what, "attempt", attempt+1, "of", in.MaxRetries, "after", wait, "error", err)
		if err := g.opts.wait(ctx, wait); err != nil {
			return err
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
