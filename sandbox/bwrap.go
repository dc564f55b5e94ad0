package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/internal/termsafe"
)

// Bwrap is the Runner that starts one bubblewrap sandbox per step.
// Runs may overlap; each gets its own sandbox over the same layout.
type Bwrap struct {
	binary string
	log    *slog.Logger

	// Test seams.
	geteuid  func() int
	procDir  string // where procfs is mounted
	hostArch string // apk architecture of this host

	mu      sync.Mutex
	path    string   // resolved bwrap program
	spec    *Spec    // nil until Start
	ownTmp  string   // the TmpDir Start created, removed by Close
	ns      *mountNS // holds the overlays, nil without Overlay or WorkspaceOverlay
	closing context.Context
	close   context.CancelFunc
	running sync.WaitGroup

	wsMu    sync.Mutex // guards wsUsers
	wsUsers int        // running steps holding the workspace overlay
}

var _ Runner = (*Bwrap)(nil)

// Option configures a Bwrap.
type Option func(*Bwrap)

// WithBinary runs this bwrap program (a name looked up in PATH, or a path)
// instead of "bwrap".
func WithBinary(name string) Option { return func(b *Bwrap) { b.binary = name } }

// WithLogger logs each bwrap command line at debug level.
func WithLogger(l *slog.Logger) Option { return func(b *Bwrap) { b.log = l } }

// NewBwrap returns a bubblewrap Runner.
func NewBwrap(opts ...Option) *Bwrap {
	b := &Bwrap{
		binary:   "bwrap",
		log:      slog.New(slog.DiscardHandler),
		geteuid:  os.Geteuid,
		procDir:  defaultProc,
		hostArch: HostArch(),
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// waitGone bounds how long Run waits for a killed sandbox to disappear.
const waitGone = 10 * time.Second

// Start checks the layout and keeps it for the following Runs. It creates
// the workspace when missing, drops a CacheDir that does not exist, and
// refreshes the guest's shared-library cache when it has /sbin/ldconfig.
func (b *Bwrap) Start(ctx context.Context, spec Spec) error {
	if err := spec.validate(); err != nil {
		return err
	}
	if runtime.GOOS != "linux" {
		return fmt.Errorf("sandbox: bubblewrap needs Linux, this is %s", runtime.GOOS)
	}
	if spec.Overlay != nil {
		if err := os.MkdirAll(spec.Root, 0o755); err != nil {
			return fmt.Errorf("sandbox: overlay mount point: %w", err)
		}
	}
	if fi, err := os.Stat(spec.Root); err != nil || !fi.IsDir() {
		return fmt.Errorf("sandbox: guest root %s is not a directory", spec.Root)
	}
	shRoot := spec.Root
	if spec.Overlay != nil {
		shRoot = spec.Overlay.Lower
	}
	if _, err := os.Lstat(filepath.Join(shRoot, "bin", "sh")); err != nil {
		return fmt.Errorf("sandbox: guest root %s has no /bin/sh: install a shell package (busybox) into it", spec.Root)
	}
	if err := os.MkdirAll(spec.Workspace, 0o755); err != nil {
		return fmt.Errorf("sandbox: workspace: %w", err)
	}
	if spec.CacheDir != "" {
		real, err := filepath.EvalSymlinks(spec.CacheDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			spec.CacheDir = ""
		case err != nil:
			return fmt.Errorf("sandbox: cache dir: %w", err)
		default:
			if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
				return fmt.Errorf("sandbox: cache dir %s is not a directory", spec.CacheDir)
			}
			spec.CacheDir = real
		}
	}
	for i, m := range spec.Mounts {
		if _, err := os.Stat(m.Source); err != nil {
			return fmt.Errorf("sandbox: Spec.Mounts[%d]: %w", i, err)
		}
	}
	bin, err := exec.LookPath(b.binary)
	if err != nil {
		return bwrapMissing(b.binary)
	}
	spec.Env = maps.Clone(spec.Env)
	spec.Mounts = slices.Clone(spec.Mounts)
	spec.CapAdd = slices.Clone(spec.CapAdd)
	spec.CapDrop = slices.Clone(spec.CapDrop)
	spec.EnterNet = slices.Clone(spec.EnterNet)
	if spec.RunAs != nil {
		u := *spec.RunAs
		spec.RunAs = &u
	}

	if spec.Overlay != nil {
		o := *spec.Overlay
		spec.Overlay = &o
	}
	if spec.WorkspaceOverlay != nil {
		o := *spec.WorkspaceOverlay
		spec.WorkspaceOverlay = &o
	}
	if err := b.install(spec, bin); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(spec.Root, "sbin", "ldconfig")); err == nil {
		out := &tailBuffer{}
		if err := b.Run(ctx, Command{Script: "/sbin/ldconfig", Stdout: out, Stderr: out}); err != nil {
			b.log.Warn("ldconfig failed in the guest root", "err", err, "output", lastLines(out.String(), 5))
		}
	}
	return nil
}

// install makes spec the runner's layout, creating its /tmp if needed.
func (b *Bwrap) install(spec Spec, bin string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spec != nil {
		return errors.New("sandbox: runner already started (Close it first)")
	}
	if spec.TmpDir == "" {
		dir, err := os.MkdirTemp("", "pestle-tmp-")
		if err == nil {
			err = os.Chmod(dir, 0o1777)
		}
		if err != nil {
			return fmt.Errorf("sandbox: creating the sandbox's /tmp: %w", err)
		}
		spec.TmpDir, b.ownTmp = dir, dir
	} else if fi, err := os.Stat(spec.TmpDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("sandbox: Spec.TmpDir %s is not a directory", spec.TmpDir)
	}
	if spec.Overlay != nil {
		ns, err := mountOverlay(spec.Root, spec.Overlay)
		if err != nil {
			if b.ownTmp != "" {
				os.RemoveAll(b.ownTmp)
				b.ownTmp = ""
			}
			return err
		}
		b.ns = ns
	}
	if spec.WorkspaceOverlay != nil {
		ns, err := b.newWorkspaceNS(b.ns, &spec)
		if err != nil {
			if ns != nil {
				ns.close()
			}
			b.ns = nil
			if b.ownTmp != "" {
				os.RemoveAll(b.ownTmp)
				b.ownTmp = ""
			}
			return err
		}
		b.ns = ns
	}
	if err := b.joinNet(&spec); err != nil {
		if b.ns != nil {
			b.ns.close()
			b.ns = nil
		}
		if b.ownTmp != "" {
			os.RemoveAll(b.ownTmp)
			b.ownTmp = ""
		}
		return err
	}
	b.path, b.spec = bin, &spec
	b.closing, b.close = context.WithCancel(context.Background())
	return nil
}

// Run executes one step in a new sandbox and returns once every process
// of that sandbox is gone: nil on success, *ExitError when the step
// exited non-zero, *SetupError when bwrap could not build the sandbox, an
// error matching ErrTimeout when cmd.Timeout ran out, or the context's
// error when ctx was cancelled.
func (b *Bwrap) Run(ctx context.Context, cmd Command) error {
	b.mu.Lock()
	if b.spec == nil {
		b.mu.Unlock()
		return ErrNotStarted
	}
	spec, bin, closing, ns := *b.spec, b.path, b.closing, b.ns
	b.running.Add(1)
	b.mu.Unlock()
	defer b.running.Done()

	if err := cmd.validate(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer context.AfterFunc(closing, func() { cancel(ErrClosed) })()
	stepCtx := ctx
	if cmd.Timeout > 0 {
		var stop context.CancelFunc
		stepCtx, stop = context.WithTimeoutCause(ctx, cmd.Timeout,
			fmt.Errorf("sandbox: step killed after %s: %w", cmd.Timeout, ErrTimeout))
		defer stop()
	}

	err := b.exec(stepCtx, ns, bin, spec, cmd, false)
	flushLines(cmd.Stdout)
	flushLines(cmd.Stderr)
	var exit *ExitError
	if !cmd.Interactive || !errors.As(err, &exit) {
		return err
	}
	// The shell has no timeout: it lasts as long as the user needs it.
	if serr := b.exec(ctx, ns, bin, spec, cmd, true); serr != nil {
		if ctx.Err() != nil {
			return serr
		}
		return err
	}
	return nil
}

// Close kills the steps still running, waits for them, removes the /tmp
// that Start created and forgets the spec. The runner can be started
// again.
func (b *Bwrap) Close() error {
	b.mu.Lock()
	if b.spec == nil {
		b.mu.Unlock()
		return nil
	}
	b.close()
	b.spec = nil
	tmp := b.ownTmp
	b.ownTmp = ""
	ns := b.ns
	b.ns = nil
	b.mu.Unlock()
	b.running.Wait()
	if ns != nil {
		ns.close()
	}
	if tmp != "" {
		if err := fsutil.RemoveTree(tmp); err != nil {
			return fmt.Errorf("sandbox: removing the sandbox's /tmp: %w", err)
		}
	}
	return nil
}

// exec runs bwrap once: the step's script, or the interactive shell after
// a failed step.
func (b *Bwrap) exec(ctx context.Context, ns *mountNS, bin string, spec Spec, cmd Command, shell bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: step not started: %w", context.Cause(ctx))
	}
	args := b.args(spec, cmd, shell)
	b.log.Debug("bwrap", "argv", append([]string{bin}, args...))
	if spec.WorkspaceOverlay != nil {
		if err := b.wsAcquire(ns, &spec); err != nil {
			return err
		}
		defer b.wsRelease(ns, &spec)
	}

	statusR, statusW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		statusR.Close()
		statusW.Close()
		return fmt.Errorf("sandbox: %w", err)
	}
	defer lifeW.Close() // the sandbox's watcher kills it when this closes
	c := exec.Command(bin, args...)
	if len(spec.EnterNet) > 0 && !spec.Network && spec.JoinNet == nil {
		c = exec.Command(spec.EnterNet[0], append(append(spec.EnterNet[1:len(spec.EnterNet):len(spec.EnterNet)], bin), args...)...)
	}
	// bwrap also keeps a read end of its status pipe: if pestle dies
	// while bwrap is setting up, bwrap's status write must not fail
	// (SIGPIPE), or bwrap would die before releasing its child, which
	// would then wait for ever. The sandbox then starts and its watcher
	// (lifeFD) ends it.
	c.ExtraFiles = []*os.File{statusW, lifeR, statusR}
	if prog, ok := stepSeccomp(spec); ok {
		f, err := seccompFile(prog)
		if err != nil {
			statusR.Close()
			statusW.Close()
			lifeR.Close()
			return err
		}
		defer f.Close()
		c.ExtraFiles = append(c.ExtraFiles, f)
	}
	c.WaitDelay = waitGone
	tail := &tailBuffer{}
	tty := -1
	if shell {
		c.Stdin = cmd.Stdin
		c.Stdout = unwrapLines(orDiscard(cmd.Stdout))
		c.Stderr = unwrapLines(orDiscard(cmd.Stderr))
		if f, ok := cmd.Stdin.(*os.File); ok && isForegroundTTY(f) {
			tty = int(f.Fd())
		}
	} else {
		if !cmd.Interactive {
			c.Stdin = cmd.Stdin
		}
		c.Stdout = orDiscard(cmd.Stdout)
		c.Stderr = io.MultiWriter(orDiscard(cmd.Stderr), tail)
	}
	c.SysProcAttr = sysProcAttr(tty)
	spec.Cgroup.enter(c.SysProcAttr)
	// Not for the interactive shell, whose terminal job control wants
	// bwrap's process group in pestle's namespace.
	ownNS := !shell && ownPIDNS(c.SysProcAttr, b.geteuid() == 0)
	if ns != nil {
		ns.do(func() { err = c.Start() })
	} else {
		err = c.Start()
	}
	if err != nil {
		statusR.Close()
		statusW.Close()
		lifeR.Close()
		return fmt.Errorf("sandbox: starting %s: %w", bin, err)
	}
	statusW.Close()
	lifeR.Close()
	st := readStatus(statusR, !ownNS)
	defer st.close()
	if tty >= 0 {
		defer restoreForeground(tty)
	}

	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// bwrap leads its own process group; killing it makes the
		// sandbox's init die with its parent, which takes every process
		// of the PID namespace with it. Kill that init directly too.
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		st.kill()
		err = <-done
	}
	<-st.done
	if !st.waitExit(waitGone) {
		b.log.Warn("sandbox still running after being killed", "pid", st.childPID())
	}

	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		cause := context.Cause(ctx)
		if errors.Is(cause, ErrTimeout) || errors.Is(cause, ErrClosed) {
			return cause
		}
		return fmt.Errorf("sandbox: step interrupted: %w", cause)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return fmt.Errorf("sandbox: waiting for bwrap: %w", err)
	}
	code := ee.ExitCode()
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	if exitCode, ok := st.exit(); ok {
		return &ExitError{Code: exitCode, NetworkHint: !spec.Network && looksLikeNetwork(tail.String())}
	}
	return newSetupError(code, tail.String(), b.procDir)
}

// newSetupError classifies bwrap's own failure.
func newSetupError(code int, stderr, procDir string) *SetupError {
	// stderr may hold a step's own output: shown made safe.
	e := &SetupError{Code: code, Message: string(termsafe.AppendLine(nil, []byte(lastLines(stderr, 5))))}
	if isUsernsFailure(stderr) {
		e.cause = ErrUserNamespaces
		e.Fix = usernsFix(procDir)
	}
	return e
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
