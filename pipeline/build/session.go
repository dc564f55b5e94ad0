package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/sandbox"
)

// session is one sandbox over a private copy of a guest root and a
// workspace: what a build, or the test of one package, runs in.
type session struct {
	scratch   string // per-run temporary directory (guest root, spool)
	guest     string
	workspace string
	ownsWS    bool // workspace lives under WorkspaceDir, removed on close
	keep      bool
	runner    sandbox.Runner
	started   bool
	hit       bool // guest root came from the cache
	overlay   *sandbox.Overlay
	// The workspace overlay (see populateWorkspace): workspace is then
	// its upper layer, wsMount the merged view the sandbox mounts.
	wsOverlayOK bool
	wsOverlay   *sandbox.Overlay
	wsMount     string
	wsFilter    *sourceFilter
	packages    []*apk.PackageInfo // installed in the guest root
	rootKey     string             // the cached guest root's key
	log         *slog.Logger
	net         *network        // nil: no network
	cgroup      *sandbox.Cgroup // nil: no CPU or memory limit
	collecting  func()          // waits for the collection of dead builds' dirs
	closeOnce   sync.Once
}

// openSession resolves env, makes (or reuses) the cached guest root, copies
// it for this run, and prepares an empty workspace. The runner is not
// started yet: see start.
func openSession(ctx context.Context, opts *EnvOptions, env environment, wsName string) (*session, error) {
	log := opts.logger()
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	t := time.Now()
	sel, err := resolveEnv(ctx, env, repo.Options{CacheDir: apkCache, Logger: log, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	phase(log, t, "resolved environment", "packages", len(sel.Packages))
	t = time.Now()
	cached, hit, err := guestRoot(ctx, apkCache, env, sel, log)
	if err != nil {
		return nil, fmt.Errorf("installing the build environment: %w", err)
	}
	s := &session{hit: hit, keep: opts.Keep, log: log, packages: sel.Packages, rootKey: rootKey(sel, env),
		wsOverlayOK: opts.Runner == nil && opts.WorkspaceDir == "" && sandbox.CanOverlay()}
	s.collecting = collectDeadAsync(os.TempDir(), scratchPrefix, log)
	if s.scratch, err = newScratch(); err != nil {
		s.collecting()
		return nil, err
	}
	s.guest = filepath.Join(s.scratch, "guest")
	s.workspace = filepath.Join(s.scratch, "workspace")
	if opts.WorkspaceDir != "" {
		s.workspace, s.ownsWS = filepath.Join(opts.WorkspaceDir, wsName), true
		if err := os.RemoveAll(s.workspace); err != nil {
			s.close()
			return nil, err
		}
	}
	// As root, the cached root is the lower layer of an overlay that only
	// this run's sandbox sees: nothing to copy, and the cache cannot
	// change. Otherwise the run gets a private copy.
	if sandbox.CanOverlay() {
		s.overlay = &sandbox.Overlay{Lower: cached, Upper: filepath.Join(s.scratch, "upper"), Work: filepath.Join(s.scratch, "work")}
	} else if err := copyTree(cached, s.guest, nil); err != nil {
		s.close()
		return nil, err
	}
	if err := os.MkdirAll(s.workspace, 0o755); err != nil {
		s.close()
		return nil, err
	}
	how := "installed"
	if hit {
		how = "from cache"
	}
	phase(log, t, "guest root ready", "how", how, "packages", len(sel.Packages))
	return s, nil
}

// start starts the runner (opts.Runner or bubblewrap) over the session.
func (s *session) start(ctx context.Context, opts *EnvOptions, plan *pipeline.Plan, env map[string]string, sde int64) error {
	s.runner = opts.Runner
	if s.runner == nil {
		s.runner = sandbox.NewBwrap(sandbox.WithLogger(s.log))
	}
	spec := sandbox.Spec{
		Root: s.guest, Overlay: s.overlay, Workspace: s.workspace, Env: env, SourceDateEpoch: sde,
		WorkspaceOverlay: s.wsOverlay,
		Debug:            opts.Debug,
		CapAdd:           plan.Capabilities.Add, CapDrop: plan.Capabilities.Drop,
		// The steps' /tmp lives in the scratch dir, so a crash leaves it
		// where the next build collects what dead writers left.
		TmpDir: filepath.Join(s.scratch, "tmp"),
	}
	if err := os.Mkdir(spec.TmpDir, 0o700); err != nil && !os.IsExist(err) {
		return err
	}
	if err := os.Chmod(spec.TmpDir, 0o1777); err != nil {
		return err
	}
	if s.wsOverlay != nil {
		spec.Workspace = s.wsMount
	}
	if err := s.limit(opts, &spec); err != nil {
		return err
	}
	cd, err := opts.mountedCacheDir()
	if err != nil {
		return err
	}
	spec.CacheDir = cd
	uid, gid, ok, err := runAs(plan.Environment.Accounts)
	if err != nil {
		return err
	}
	if ok {
		spec.RunAs = &sandbox.User{UID: uid, GID: gid}
	}
	if s.net != nil {
		s.net.apply(&spec)
		if err := s.installCA(); err != nil {
			return err
		}
	}
	err = s.runner.Start(ctx, spec)
	if (s.overlay != nil || s.wsOverlay != nil) && errors.Is(err, sandbox.ErrOverlayUnsupported) {
		// The scratch dir's file system cannot hold an overlay's upper
		// layer: give the run private copies instead.
		s.log.Debug("overlays unavailable, copying the guest root and workspace", "err", err)
		if err := s.unoverlay(&spec); err != nil {
			return err
		}
		if err := s.installCA(); err != nil {
			return err
		}
		err = s.runner.Start(ctx, spec)
	}
	if err != nil {
		return err
	}
	s.started = true
	return nil
}

// unoverlay replaces the session's overlays by copies.
func (s *session) unoverlay(spec *sandbox.Spec) error {
	if s.overlay != nil {
		_ = os.Remove(s.guest) // the empty mount point Start made
		if err := copyTree(s.overlay.Lower, s.guest, nil); err != nil {
			return err
		}
		s.overlay, spec.Overlay = nil, nil
	}
	if s.wsOverlay != nil {
		if s.wsFilter == nil {
			return errors.New("the kept workspace of the failed build is an overlay this machine cannot mount now: build without --resume")
		}
		if err := s.unoverlayWorkspace(); err != nil {
			return err
		}
		spec.WorkspaceOverlay, spec.Workspace = nil, s.workspace
	}
	return nil
}

// installCA adds the build proxy's authority to this run's guest root.
func (s *session) installCA() error {
	if s.net == nil {
		return nil
	}
	var err error
	if s.overlay != nil {
		err = s.net.installCA(s.overlay.Lower, s.overlay.Upper)
	} else {
		err = s.net.installCA(s.guest, s.guest)
	}
	if err != nil {
		return fmt.Errorf("adding the build proxy's CA to the guest: %w", err)
	}
	return nil
}

// close stops the runner and removes the run's directories (unless
// kept). It may be called more than once, also at the same time: every
// call returns once the first one is done.
func (s *session) close() { s.closeOnce.Do(s.closeNow) }

func (s *session) closeNow() {
	if s.collecting != nil {
		s.collecting()
		s.collecting = nil
	}
	if s.started {
		s.runner.Close()
		s.started = false
	}
	if s.cgroup != nil {
		if err := s.cgroup.Close(); err != nil {
			s.log.Warn("could not remove the sandbox's cgroup", "err", err)
		}
		s.cgroup = nil
	}
	if s.keep {
		markKept(s.scratch)
		return
	}
	if err := discard(s.scratch, s.log); err != nil {
		s.log.Warn("could not remove the build's scratch dir", "dir", s.scratch, "err", err)
	}
	if s.ownsWS {
		if err := fsutil.RemoveTree(s.workspace); err != nil {
			s.log.Warn("could not remove the workspace", "dir", s.workspace, "err", err)
		}
	}
}

// preflight checks the sandbox can run arch, unless a runner was given.
func preflight(ctx context.Context, opts *EnvOptions, arch string) error {
	if opts.Runner != nil {
		return nil
	}
	// The full check runs a probe sandbox; it is kept for when a step's
	// sandbox cannot be set up (see diagnose), so warm builds stay fast.
	return sandbox.NewBwrap().QuickCheck(arch)
}

// joined returns a then b in a new slice.
func joined(a, b []string) []string {
	return append(append([]string(nil), a...), b...)
}

// diagnose turns a sandbox that could not be set up into the reason and
// its fix, found by the full preflight check.
func diagnose(ctx context.Context, opts *EnvOptions, arch string, err error) error {
	var se *sandbox.SetupError
	if opts.Runner != nil || !errors.As(err, &se) {
		return err
	}
	if perr := sandbox.NewBwrap().Preflight(ctx, arch); perr != nil {
		return perr
	}
	return err
}
