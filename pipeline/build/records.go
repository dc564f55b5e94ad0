package build

import (
	"fmt"
	"os"
	"strings"
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
}

// appendBuildLog adds the written packages to the build log. Each line is
// written with one append, so concurrent builds do not tear lines.
func (r Records) appendBuildLog(arch, origin string, written []Written) error {
	if !r.BuildLog || len(written) == 0 {
		return nil
	}
	path := r.BuildLogFile
	if path == "" {
		path = "packages.log"
	}
	var b strings.Builder
	for _, w := range written {
		fmt.Fprintf(&b, "%s|%s|%s|%s\n", arch, origin, w.Info.Name, w.Info.Version)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("--create-build-log: %w", err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		f.Close()
		return fmt.Errorf("--create-build-log: %w", err)
	}
	return f.Close()
}
