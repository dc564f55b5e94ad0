package build

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/sandbox"
)

// Options describe one build. The zero value of every field but Recipe is a
// sane default (see each field).
type Options struct {
	// Recipe is the path of the melange YAML recipe.
	Recipe string
	// Arch is the target architecture (x86_64, aarch64 or their amd64,
	// arm64 aliases); empty means the host's.
	Arch string
	// OutDir receives <arch>/<name>-<version>.apk and the index; "packages"
	// when empty.
	OutDir string
	// SigningKey is the private key file that signs packages and index;
	// empty means unsigned.
	SigningKey string
	// Repositories, Keyring and Packages are appended to the recipe's
	// environment.contents (the -r, -k and --package-append flags).
	Repositories, Keyring, Packages []string
	// AllowUntrusted accepts unsigned or untrusted repository indexes.
	AllowUntrusted bool
	// SourceDir is copied into the workspace; empty means the recipe's
	// folder. .melangeignore patterns in it are honoured.
	SourceDir string
	// EmptyWorkspace skips copying SourceDir.
	EmptyWorkspace bool
	// WorkspaceDir holds the workspace (<dir>/<arch>); empty means a
	// temporary directory.
	WorkspaceDir string
	// CacheDir is mounted at /var/cache/melange when it exists; empty
	// means ./melange-cache.
	CacheDir string
	// ApkCacheDir caches downloaded packages, indexes, sources and guest
	// roots; empty means the user's cache directory (…/pestle).
	ApkCacheDir string
	// EnvFile is a dotenv file of variables for every step; the recipe's
	// environment wins over it.
	EnvFile string
	// PipelineDirs, VarsFile and BuildOptions go to the recipe compiler.
	PipelineDirs []string
	VarsFile     string
	BuildOptions []string
	// LintRequire and LintWarn replace the default lists of linters that
	// fail the build and that only warn (nil: the defaults).
	LintRequire, LintWarn []string
	// Network shares the host network with the sandbox.
	Network bool
	// Debug traces each shell command (set -x).
	Debug bool
	// Interactive drops into a shell in the sandbox when a step fails.
	Interactive bool
	// Resume continues the last failed build of Recipe from the step that
	// failed, in its kept workspace and guest root, unless the recipe
	// changed before that step or the environment resolves differently
	// (then the build starts afresh and the log says why).
	Resume bool
	// Keep leaves the workspace and guest root behind (--rm=false).
	Keep bool
	// NoIndex skips updating APKINDEX.tar.gz (--generate-index=false).
	NoIndex bool
	// SourceDateEpoch is every mtime in the packages and the index; nil
	// means $SOURCE_DATE_EPOCH, or 0 when that is unset.
	SourceDateEpoch *int64
	// Namespace is written as the packages' maintainer field when set.
	Namespace string
	// Logger receives one line per phase and per step; nil discards.
	Logger *slog.Logger
	// Stdout and Stderr receive the steps' output (nil discards); Stdin
	// feeds interactive shells.
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	// Runner runs the sandbox steps; nil means bubblewrap.
	Runner sandbox.Runner
	// Progress is told about repository downloads.
	Progress func(url string, done, total int64)

	// EnvFiles are more dotenv files, read after EnvFile (a later file
	// wins; the recipe's environment wins over all).
	EnvFiles []string
	// Timeout bounds the whole build or test; 0 means none
	// (package.timeout still applies).
	Timeout time.Duration
	// Resources asks for CPU and memory limits (see limits.go).
	Resources pipeline.Resources
	// Origin is where the recipe comes from, for .PKGINFO and the SBOM.
	Origin RecipeOrigin
	// StripOriginName writes each package's own name as its origin.
	StripOriginName bool
	// Records asks for melange's side files (see records.go).
	Records Records
	// LibcFlavor is the libc part of ${{host.triplet.*}} ("gnu" when empty).
	LibcFlavor string
}

func (o *Options) outDir() string {
	if o.OutDir == "" {
		return "packages"
	}
	return o.OutDir
}

func (o *Options) cacheDir() string {
	if o.CacheDir == "" {
		return "melange-cache"
	}
	return o.CacheDir
}

func (o *Options) apkCacheDir() (string, error) {
	if o.ApkCacheDir != "" {
		return o.ApkCacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "pestle"), nil
}

func (o *Options) sourceDateEpoch() (int64, error) {
	if o.SourceDateEpoch != nil {
		return *o.SourceDateEpoch, nil
	}
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, &envError{v}
		}
		return n, nil
	}
	return 0, nil
}

type envError struct{ v string }

func (e *envError) Error() string {
	return "SOURCE_DATE_EPOCH=" + strconv.Quote(e.v) + " is not a whole number of seconds (unset it or set e.g. SOURCE_DATE_EPOCH=$(date +%s))"
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// phase logs the end of a phase with its duration.
func phase(log *slog.Logger, start time.Time, msg string, args ...any) {
	log.Info(msg, append(args, "took", time.Since(start).Round(time.Millisecond))...)
}
