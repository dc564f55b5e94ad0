package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// RemoveStale removes, from dir (not below it), the temporary files of
// File whose writer process is gone: regular files named
// .NAME.tmp-PID-RANDOM where no process PID exists. The files of live
// writers, of this process and everything else are left alone. It returns
// the names it removed; a missing dir is not an error.
//
// Call it before writing into a directory that crashed runs may have
// written to, such as <out>/<arch> under its lock or a cache directory at
// the start of a run. Process ids are those of this pid namespace: a
// writer in another namespace sharing dir may look dead.
func RemoveStale(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range ents {
		pid, ok := writerPID(e.Name())
		if !ok || !e.Type().IsRegular() || alive(pid) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}

// writerPID reads the process id out of a temporary name made by Create.
func writerPID(name string) (int, bool) {
	if !strings.HasPrefix(name, ".") {
		return 0, false
	}
	i := strings.LastIndex(name, tempMark)
	if i <= 1 {
		return 0, false
	}
	pid, rnd, ok := strings.Cut(name[i+len(tempMark):], "-")
	if !ok || rnd == "" {
		return 0, false
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 || strconv.Itoa(n) != pid {
		return 0, false
	}
	return n, true
}

// alive reports whether a process pid exists (one of another user
// counts: kill answers EPERM).
func alive(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
