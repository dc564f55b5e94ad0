// Package lint checks a package's output tree for mistakes before it is
// packed, with the checks and defaults of melange's linters: the same
// names, the same set required by default (dev, infodir, libtool/la-files,
// setuidgid, tempdir, usrmerge, varempty, worldwrite), the others warnings
// or off (documentation, empty).
//
// Run walks the tree once and returns every finding, one per offending path,
// sorted by linter, path and message. A finding of a required linter makes
// Check return an *Error (errors.Is ErrFailed) naming the first offending
// file and the fix; a recipe's package.checks.disabled turns a required
// linter into a warning (Options.Disabled), and Options.Require and
// Options.Warn replace the default lists (the --lint-require and
// --lint-warn flags).
//
// Linters read only the tree: names and modes from lstat, ELF headers with
// debug/elf, and file contents for the duplicate check. Files are opened
// through an os.Root, so symbolic links in the tree are never followed out
// of it. The package's SBOM (var/lib/db/sbom) is skipped by every linter
// but sbom.
//
// Where melange's behaviour is a plain defect pestle does the evident
// thing: strip looks for any .debug_*/.zdebug_* section (not only a section
// named exactly ".debug"), infodir flags usr/share/info/dir itself,
// duplicate ignores hard links (they take no space), python/multiple strips
// whole extensions, and binaryarch also flags an x86_64 binary in an
// aarch64 package and the reverse when Options.Arch is known.
package lint
