package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline/sca"
)

// Records asks for the side files melange writes on request.
type Records struct {
	// BuildLog appends one "arch|origin|name|version" line per written
	// package to BuildLogFile (melange's --create-build-log).
	BuildLog bool
	// BuildLogFile is where; empty means "packages.log" in the working
	// directory, as in melange.
	BuildLogFile string
	// LintResults writes each package's lint findings to
	// <out-dir>/<arch>/lint-<package>-<version>.json
	// (melange's --persist-lint-results).
	LintResults bool
	// Provenance writes an in-toto SLSA provenance statement next to each
	// package, <name>-<version>.attest.tar.gz (--generate-provenance).
	Provenance bool
	// DependencyLog, when set, receives the shared libraries the packages
	// need as JSON, {"libc.so.6": ["usr/bin/hello"], …}, in
	// <DependencyLog>.<arch> (melange's --dependency-log).
	DependencyLog string
}

// depLog collects, for --dependency-log, which files need each shared
// library (nil: not collected).
type depLog map[string][]string

func (d depLog) add(res *sca.Result) {
	if d == nil {
		return
	}
	for _, dep := range res.Depends {
		lib, ok := strings.CutPrefix(dep, "so:")
		if !ok {
			continue
		}
		if file, ok := strings.CutPrefix(res.Reasons[dep], "DT_NEEDED of "); ok && !slices.Contains(d[lib], file) {
			d[lib] = append(d[lib], file)
		}
	}
}

// write publishes the log, atomically, at <path>.<arch>.
func (d depLog) write(path, arch string) error {
	if d == nil {
		return nil
	}
	for _, files := range d {
		slices.Sort(files)
	}
	data, err := json.Marshal(map[string][]string(d))
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(path+"."+arch, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("--dependency-log: %w", err)
	}
	return nil
}

// appendBuildLog adds the written packages to the build log. Each line is
// written with one append, so concurrent builds do not tear lines.
func (r Records) appendBuildLog(arch, origin string, written []Written) error {
	if !r.BuildLog || len(written) == 0 {
		return nil
	}
	path, flags := r.BuildLogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE
	if path == "" {
		// In the folder of recipes, which may have brought a
		// packages.log symlink to a file of the host's: not followed.
		path, flags = "packages.log", flags|syscall.O_NOFOLLOW|syscall.O_NONBLOCK
	}
	var b strings.Builder
	for _, w := range written {
		fmt.Fprintf(&b, "%s|%s|%s|%s\n", arch, origin, w.Info.Name, w.Info.Version)
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.ENXIO) {
		err = fmt.Errorf("%s is a symlink or a FIFO, which pestle does not write through: remove it, or build from another folder", path)
	}
	if err == nil {
		if fi, serr := f.Stat(); serr == nil && !fi.Mode().IsRegular() {
			f.Close()
			err = fmt.Errorf("%s is %s, not a regular file", path, fsutil.Kind(fi.Mode()))
		}
	}
	if err != nil {
		return fmt.Errorf("--create-build-log: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("--create-build-log: %w", err)
	}
	return f.Close()
}
