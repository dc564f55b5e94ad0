package lint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Finding is one problem: which linter found it, where, and whether it
// fails the build.
type Finding struct {
	Linter   string `json:"linter"`
	Path     string `json:"path,omitempty"` // relative to the package root, no leading slash; "" for the package as a whole
	Message  string `json:"message"`
	Required bool   `json:"required"`
	Fix      string `json:"fix,omitempty"` // how to fix it
}

func (f Finding) String() string {
	level := "warning"
	if f.Required {
		level = "required"
	}
	where := f.Path
	if where == "" {
		where = "(package)"
	}
	return f.Linter + ": " + where + ": " + f.Message + " [" + level + "]"
}

// Options select the linters and describe the package.
type Options struct {
	// Require and Warn replace the default lists when non-nil (an empty
	// non-nil list selects none). A linter in both is required.
	Require, Warn []string
	// Disabled is the recipe's package.checks.disabled: each named
	// required linter becomes a warning. Names pestle does not know are
	// ignored, as a recipe may name checks of a newer melange.
	Disabled []string
	// PackageName and Arch describe the package: some linters skip
	// -compat, -dev, -doc or -static packages, binaryarch compares ELF
	// machines with Arch.
	PackageName, Arch string
	// Tests are the `uses:` names of the package's test pipelines
	// (test/pkgconf, test/ldd-check silence pkgconf and lddcheck).
	Tests []string
	// Special lists device nodes and FIFOs the package holds but the
	// tree does not (an extracted .apk skips them), so that path checks
	// still see them.
	Special []string
}

type level int

const (
	off level = iota
	warn
	required
)

type checkFunc func(*tree) ([]Finding, error)

type linter struct {
	name  string
	level level // the default
	fix   string
	check checkFunc
}

// linters is every linter pestle knows, with melange's name and default.
var linters = []linter{
	{"binaryarch", warn, "delete binaries built for other architectures", checkBinaryArch},
	{"cudaruntimelib", warn, "do not ship CUDA driver libraries (libcuda, libnvidia-ml), which the host provides; build and test against a stub package", checkCUDA},
	{"dev", required, "delete files under /dev; device nodes are made at run time (devtmpfs, udev)", checkDev},
	{"dll", warn, "delete libraries built for Windows", checkDLL},
	{"documentation", off, "move documentation to a -doc subpackage or delete it", checkDocumentation},
	{"duplicate", warn, "keep one copy and replace the others with symbolic links", checkDuplicate},
	{"dylib", warn, "delete libraries built for macOS", checkDylib},
	{"empty", off, "check the build; if the package is meant to be empty, disable this check", checkEmpty},
	{"infodir", required, "delete usr/share/info/dir in the pipeline (uses: split/infodir); apk rebuilds the info index", checkInfodir},
	{"lddcheck", warn, "add `uses: test/ldd-check` to the package's test pipeline", checkLddcheck},
	{"libtool/la-files", required, "delete *.la files in the pipeline (autoconf/make-install does), or disable this check if the package needs them", checkLaFiles},
	{"maninfo", warn, "move man and info pages to a -doc subpackage (uses: split/manpages, split/infodir)", checkManInfo},
	{"nonlinux", warn, "delete files meant for other operating systems", checkNonLinux},
	{"object", warn, "delete intermediate .o files in the pipeline", checkObject},
	{"opt", warn, "install under /usr and ship the /opt layout in a -compat subpackage", checkOpt},
	{"pkgconf", warn, "add `uses: test/pkgconf` to the package's test pipeline", checkPkgconf},
	{"python/docs", warn, "delete the docs directory from site-packages", checkPythonDocs},
	{"python/multiple", warn, "split the package, and check that pip did not install dependencies into it", checkPythonMultiple},
	{"python/test", warn, "delete the tests directory from site-packages", checkPythonTest},
	{"sbom", warn, "do not install files into var/lib/db/sbom; pestle writes the package's SBOM there", checkSBOM},
	{"setuidgid", required, "clear the setuid, setgid and sticky bits in the pipeline (chmod u-s,g-s,-t), or disable this check", checkSetuid},
	{"srv", warn, "install under /usr and ship the /srv layout in a -compat subpackage", checkSrv},
	{"staticarchive", warn, "move .a files to a -dev or -static subpackage (uses: split/static) or delete them", checkStaticArchive},
	{"strip", warn, "strip the binaries (uses: strip)", checkStrip},
	{"tempdir", required, "delete files under /tmp, /var/tmp, /run and /var/run in the pipeline; create run-time directories with a tmpfiles.d snippet", checkTempdir},
	{"unsupportedarch", warn, "delete files meant for other architectures", checkUnsupportedArch},
	{"usrlocal", warn, "install under /usr and ship the /usr/local layout in a -compat subpackage", checkUsrLocal},
	{"usrmerge", required, "install into /usr/bin and /usr/lib instead of /bin, /sbin, /usr/sbin, /lib and /lib64", checkUsrmerge},
	{"varempty", required, "delete files under /var/empty in the pipeline; it must stay empty", checkVarEmpty},
	{"worldwrite", required, "drop the world-writable bit in the pipeline (chmod o-w), or disable this check", checkWorldWrite},
}

func byName(name string) *linter {
	for i := range linters {
		if linters[i].name == name {
			return &linters[i]
		}
	}
	return nil
}

// Names lists every linter, sorted.
func Names() []string {
	out := make([]string, len(linters))
	for i, l := range linters {
		out[i] = l.name
	}
	sort.Strings(out)
	return out
}

func defaults(lv level) []string {
	var out []string
	for _, l := range linters {
		if l.level == lv {
			out = append(out, l.name)
		}
	}
	sort.Strings(out)
	return out
}

// DefaultRequired lists the linters that fail a build by default.
func DefaultRequired() []string { return defaults(required) }

// DefaultWarn lists the linters that only warn by default.
func DefaultWarn() []string { return defaults(warn) }

// Explain is how to fix what a linter finds ("" for an unknown name).
func Explain(name string) string {
	if l := byName(name); l != nil {
		return l.fix
	}
	return ""
}

// ErrUnknownLinter is wrapped by the error for a name pestle does not know.
var ErrUnknownLinter = errors.New("unknown linter")

// CheckNames returns an error wrapping ErrUnknownLinter that lists every
// name pestle does not know (blank names are ignored), nil if all are known.
func CheckNames(names ...string) error {
	var unknown []string
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" && byName(n) == nil {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("%w: %s (known: %s)", ErrUnknownLinter, strings.Join(unknown, ", "), strings.Join(Names(), ", "))
	}
	return nil
}

// selection decides the level of each linter for opts.
func selection(opts Options) (map[string]level, error) {
	req, wrn := opts.Require, opts.Warn
	if req == nil {
		req = DefaultRequired()
	}
	if wrn == nil {
		wrn = DefaultWarn()
	}
	if err := CheckNames(append(slices.Clone(req), wrn...)...); err != nil {
		return nil, err
	}
	sel := map[string]level{}
	for _, list := range []struct {
		names []string
		lv    level
	}{{wrn, warn}, {req, required}} {
		for _, n := range list.names {
			if n = strings.TrimSpace(n); n != "" {
				sel[n] = list.lv
			}
		}
	}
	for _, n := range opts.Disabled {
		if sel[strings.TrimSpace(n)] == required {
			sel[strings.TrimSpace(n)] = warn
		}
	}
	return sel, nil
}

// Run runs the selected linters over the package tree at dir and returns
// their findings sorted by linter, path and message. An error means the
// tree could not be read (or opts name an unknown linter), not that a check
// failed: see Check for that.
func Run(ctx context.Context, dir string, opts Options) ([]Finding, error) {
	sel, err := selection(opts)
	if err != nil {
		return nil, err
	}
	t, err := openTree(ctx, dir, opts)
	if err != nil {
		return nil, err
	}
	defer t.close()
	var out []Finding
	for _, l := range linters {
		lv := sel[l.name]
		if lv == off {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		found, err := l.check(t)
		if err != nil {
			return nil, fmt.Errorf("linter %s: %w", l.name, err)
		}
		for _, f := range found {
			f.Linter, f.Required, f.Fix = l.name, lv == required, l.fix
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := strings.Compare(a.Linter, b.Linter); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return out, nil
}

// ErrFailed is matched (errors.Is) by the *Error of Check.
var ErrFailed = errors.New("required lint check failed")

// Error reports the findings of required linters in one package.
type Error struct {
	Package  string
	Findings []Finding // only required ones, in Run's order
}

func (e *Error) Error() string {
	f := e.Findings[0]
	where := f.Path
	if where == "" {
		where = "the package"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "package %s: required check %s failed on %s: %s", e.Package, f.Linter, where, f.Message)
	if n := len(e.Findings) - 1; n > 0 {
		fmt.Fprintf(&b, " (and %d more finding(s)", n)
		if others := e.linters(); len(others) > 1 {
			fmt.Fprintf(&b, " of %s", strings.Join(others, ", "))
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, "; fix: %s, or list %q under package.checks.disabled to make it a warning", f.Fix, f.Linter)
	return b.String()
}

func (e *Error) linters() []string {
	var out []string
	for _, f := range e.Findings {
		if !slices.Contains(out, f.Linter) {
			out = append(out, f.Linter)
		}
	}
	return out
}

// Is makes errors.Is(err, ErrFailed) true.
func (e *Error) Is(target error) bool { return target == ErrFailed }

// Check returns an *Error when any finding is required, nil otherwise.
func Check(pkg string, findings []Finding) error {
	var req []Finding
	for _, f := range findings {
		if f.Required {
			req = append(req, f)
		}
	}
	if len(req) == 0 {
		return nil
	}
	return &Error{Package: pkg, Findings: req}
}
