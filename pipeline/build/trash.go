package build

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"golang.org/x/sys/unix"
)

// A build's scratch dir is named after its writer's pid, so that the next
// build can tell what a dead writer left (a crash) from what a running
// one still uses.
const (
	scratchPrefix = "pestle-build-"
	trashName     = "pestle-trash"
)

// backgroundRemoval removes trash in a detached process, so the build
// does not wait for it. Tests turn it off to remove in place.
var backgroundRemoval = true

// newScratch makes this run's scratch dir in the temporary dir.
func newScratch() (string, error) {
	return os.MkdirTemp("", scratchPrefix+strconv.Itoa(os.Getpid())+"-")
}

// deadWriter reports whether the dir name (prefix + pid + "-" + random)
// was made by a process that no longer runs. alive caches the answer per
// pid (nil: no cache).
func deadWriter(name, prefix string, alive map[int]bool) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	pidText, _, ok := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(pidText)
	if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
		return false
	}
	if a, ok := alive[pid]; ok {
		return !a
	}
	dead := unix.Kill(pid, 0) == unix.ESRCH
	if alive != nil {
		alive[pid] = !dead
	}
	return dead
}

// collectDead moves the dirs of parent named prefix+pid+"-…" whose writer
// is dead into the trash beside them, and empties that trash. Only the
// names are read: a dir is looked at (kept? a dir?) once its name shows a
// dead writer, and each pid is checked once.
func collectDead(parent, prefix string, log *slog.Logger) {
	d, err := os.Open(parent)
	if err != nil {
		return
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	trash := filepath.Join(parent, trashName)
	alive := map[int]bool{}
	for _, name := range names {
		if !deadWriter(name, prefix, alive) {
			continue
		}
		p := filepath.Join(parent, name)
		if isKept(p) {
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
			continue
		}
		log.Info("collecting what a build that ended early left behind", "dir", p)
		if err := os.MkdirAll(trash, 0o700); err == nil {
			_ = os.Rename(p, filepath.Join(trash, name))
		}
	}
	emptyTrash(trash, log)
}

// collectDeadAsync runs collectDead beside the caller, which calls the
// returned function to wait for it: a temporary dir holding many entries
// then costs the build no time.
func collectDeadAsync(parent, prefix string, log *slog.Logger) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		collectDead(parent, prefix, log)
	}()
	return func() { <-done }
}

// discard takes dir off the critical path: it is renamed into the trash
// beside it (same file system) and removed there in the background. When
// it cannot be renamed it is removed in place.
func discard(dir string, log *slog.Logger) error {
	trash := filepath.Join(filepath.Dir(dir), trashName)
	dst := filepath.Join(trash, filepath.Base(dir))
	if err := os.MkdirAll(trash, 0o700); err != nil {
		return fsutil.RemoveTree(dir)
	}
	if err := os.Rename(dir, dst); err != nil {
		return fsutil.RemoveTree(dir)
	}
	if fewEntries(dst, smallTree) && os.RemoveAll(dst) == nil {
		_ = os.Remove(trash) // when empty
		return nil
	}
	err := removeTrash(log, dst)
	if !backgroundRemoval {
		_ = os.Remove(trash) // when empty
	}
	return err
}

// emptyTrash removes what the trash dir holds, saying so first.
func emptyTrash(trash string, log *slog.Logger) {
	ents, err := os.ReadDir(trash)
	if err != nil || len(ents) == 0 {
		return
	}
	paths := make([]string, len(ents))
	for i, e := range ents {
		paths[i] = filepath.Join(trash, e.Name())
	}
	log.Info("removing leftovers of earlier builds", "trash", trash, "entries", len(paths))
	if err := removeTrash(log, paths...); err != nil {
		log.Warn("could not empty the trash", "trash", trash, "err", err)
	}
}

// removeTrash removes paths, inside a trash dir: in a detached,
// low-priority process when backgroundRemoval is on (whatever it leaves,
// such as a tree it could not finish, the next build collects), in place
// otherwise or when that process cannot start.
func removeTrash(log *slog.Logger, paths ...string) error {
	if backgroundRemoval {
		// Read-only dirs (Go's module cache) are made writable first.
		cmd := exec.Command("/bin/sh", append([]string{"-c",
			`chmod -R u+rwx -- "$@" 2>/dev/null; exec rm -rf -- "$@"`, "pestle-trash"}, paths...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err == nil {
			_ = unix.Setpriority(unix.PRIO_PROCESS, cmd.Process.Pid, 19)
			log.Debug("removing in the background", "paths", paths, "pid", cmd.Process.Pid)
			return cmd.Process.Release()
		}
	}
	var errs []error
	for _, p := range paths {
		if err := fsutil.RemoveTree(p); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("removing %v: %v", paths, errs)
	}
	return nil
}

// smallTree is how many entries a discarded tree may hold to be removed
// in place: a warm one-step build leaves about twenty, which take less
// time to remove than the background remover takes to start.
const smallTree = 64

// fewEntries reports whether the tree at dir holds at most n entries. It
// reads no more than n+1 names of each dir and stops as soon as the count
// is over; a dir it cannot read counts as too many.
func fewEntries(dir string, n int) bool {
	left := n
	var walk func(string) bool
	walk = func(d string) bool {
		f, err := os.Open(d)
		if err != nil {
			return false
		}
		ents, err := f.ReadDir(left + 1)
		f.Close()
		if err != nil && len(ents) == 0 && !errors.Is(err, io.EOF) {
			return false
		}
		if left -= len(ents); left < 0 {
			return false
		}
		for _, e := range ents {
			if e.IsDir() && !walk(filepath.Join(d, e.Name())) {
				return false
			}
		}
		return true
	}
	return walk(dir)
}
