package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/internal/httpget"
)

// Options are the host-side settings shared by Fetch and GitCheckout.
type Options struct {
	// CacheDir holds downloads (<CacheDir>/sha256:<hex>, sha512:<hex>) and
	// git mirrors (<CacheDir>/git/<hash>). Empty means no cache: downloads
	// go straight to the workspace and git uses a throw-away mirror.
	CacheDir string
	// HTTPClient, when set, is used for every request instead of pestle's
	// own transport (which applies the fetch step's timeout and
	// dns-timeout and honours the proxy environment variables).
	HTTPClient *http.Client
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
	// Progress, when set, is told as a download advances (the hook the
	// repositories use too).
	Progress httpget.Progress
	// SourceDateEpoch is the committer date given to cherry-picked
	// commits. Like melange, anything before 1980-01-01 (including the
	// zero time) is raised to 1980-01-01.
	SourceDateEpoch time.Time
	// Git is the git binary; empty means "git" from PATH.
	Git string
	// GitTimeout bounds each git command; zero means one hour.
	GitTimeout time.Duration
	// Local resolves a path on this machine that a step names (a fetch
	// uri that is a path or file://, a git-checkout repository that is
	// one): absolute as the guest sees it, or relative to the step's
	// directory. It returns the host path to read, and must refuse
	// whatever is outside the workspace: fetch and git-checkout run on
	// the host, where any other path is the host's own. Nil reads only
	// regular files below the step's directory, and no local
	// repository.
	Local func(p string) (string, error)

	// sleep waits between retries; tests replace it to avoid real waits.
	sleep func(ctx context.Context, d time.Duration) error
	// gitHook sees every git command line before it runs (tests count
	// them).
	gitHook func(dir string, args []string)
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (o *Options) wait(ctx context.Context, d time.Duration) error {
	if o.sleep != nil {
		return o.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// minSourceDate is 1980-01-01T00:00:00Z, the floor melange applies to
// commit dates (zip and many tools cannot represent anything earlier).
const minSourceDate = 315532800

func (o *Options) commitDate() int64 {
	if s := o.SourceDateEpoch.Unix(); !o.SourceDateEpoch.IsZero() && s >= minSourceDate {
		return s
	}
	return minSourceDate
}

// openLocal opens the local file p that a fetch names (see Local), a
// regular file only: a FIFO would block the host, a device be read
// without end.
func (o *Options) openLocal(p, dir string) (*os.File, error) {
	if o.Local != nil {
		host, err := o.Local(p)
		if err != nil {
			return nil, err
		}
		return fsutil.OpenRegular(host)
	}
	if filepath.IsAbs(p) || !filepath.IsLocal(filepath.Clean(p)) {
		return nil, fmt.Errorf("%s is not below the step's directory: fetch runs on the host, and reads local files only from the workspace", p)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	return fsutil.Regular(f, p)
}

// localRepo resolves the local repository p that a git-checkout names
// (see Local).
func (o *Options) localRepo(p string) (string, error) {
	if o.Local == nil {
		return "", errors.New("local repositories are not available here")
	}
	return o.Local(p)
}
