package build

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/netrec"
	"github.com/pestle-dev/pestle/sandbox"
)

// EnvOptions are the settings build and test share: the recipe, and
// the environment it runs in (repositories, caches, workspace, sandbox,
// output streams). The zero value of every field but Recipe is a sane
// default (see each field).
type EnvOptions struct {
	// Recipe is the path of the melange YAML recipe.
	Recipe string
	// Arch is the target architecture (x86_64, aarch64 or their amd64,
	// arm64 aliases); empty means the host's.
	Arch string
	// Repositories, Keyring and Packages are appended to the recipe's
	// environment.contents (build: -r, -k, --package-append; test: the
	// test environment's, with --test-package-append).
	Repositories, Keyring, Packages []string
	// AllowUntrusted accepts unsigned or untrusted repository indexes.
	AllowUntrusted bool
	// SourceDir is copied into the workspace; .melangeignore patterns in
	// it are honoured. Empty means the recipe's folder for a build and
	// nothing for a test.
	SourceDir string
	// WorkspaceDir holds the workspace (<dir>/<arch> for a build,
	// <dir>/test-<package> for a test); empty means a temporary directory.
	WorkspaceDir string
	// CacheDir is mounted at /var/cache/melange when it exists; empty
	// means ./melange-cache.
	CacheDir string
	// CacheDirChosen says the user named CacheDir (--cache-dir). A cache
	// dir nobody named, such as melange's default ./melange-cache/ in a
	// folder of recipes, is refused when it is a symlink: it is mounted
	// read-write.
	CacheDirChosen bool
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
	// Network is how steps reach the network: netrec.Record (the default
	// when empty), Replay, Off or Host. A recipe with
	// capabilities.networking: false gets Off.
	Network netrec.Mode
	// NetworkAllow limits the hosts the proxy reaches (host or *.domain
	// patterns, optionally with :port); empty allows every host.
	NetworkAllow []string
	// NetworkUpstream replaces how the proxy reaches servers and which
	// authorities it trusts; nil uses the host's resolver and trust store.
	NetworkUpstream *netrec.Upstream
	// Debug traces each shell command (set -x).
	Debug bool
	// Interactive drops into a shell in the sandbox when a step fails.
	Interactive bool
	// Keep leaves the workspace and guest root behind (--rm=false).
	Keep bool
	// SourceDateEpoch is every mtime in the packages and the index, and
	// SOURCE_DATE_EPOCH in the steps; nil means $SOURCE_DATE_EPOCH, or 0
	// when that is unset.
	SourceDateEpoch *int64
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
	// LibcFlavor is the libc part of ${{host.triplet.*}} ("gnu" when empty).
	LibcFlavor string
}

// Options describe one build: the shared environment and what only a
// build has (output, signing, linting, index, resume).
type Options struct {
	EnvOptions
	// OutDir receives <arch>/<name>-<version>.apk and the index; "packages"
	// when empty.
	OutDir string
	// OutDirChosen says the user named OutDir (--out-dir). The default,
	// ./packages/, is refused when it or its <arch> dir is a symlink: a
	// folder of recipes could point it at another repository, whose
	// packages and index the build would then replace, signed.
	OutDirChosen bool
	// SigningKey is the private key file that signs packages and index;
	// empty means unsigned.
	SigningKey string
	// EmptyWorkspace skips copying SourceDir.
	EmptyWorkspace bool
	// LintRequire and LintWarn replace the default lists of linters that
	// fail the build and that only warn (nil: the defaults).
	LintRequire, LintWarn []string
	// Resume continues the last failed build of Recipe from the step that
	// failed, in its kept workspace and guest root, unless the recipe
	// changed before that step or the environment resolves differently
	// (then the build starts afresh and the log says why).
	Resume bool
	// ResumeFlags are the flags of this build ("--name=value", unquoted)
	// that the hint of a failed step repeats after
	// "pestle build --resume RECIPE", so that it can be pasted as it is.
	ResumeFlags []string
	// NoIndex skips updating APKINDEX.tar.gz (--generate-index=false).
	NoIndex bool
	// Namespace is written as the packages' maintainer field when set.
	Namespace string
	// BuildDate (RFC 3339, --build-date) is the build's time when
	// SourceDateEpoch is nil and $SOURCE_DATE_EPOCH is unset.
	BuildDate string
	// Origin is where the recipe comes from, for .PKGINFO and the SBOM.
	Origin RecipeOrigin
	// StripOriginName writes each package's own name as its origin.
	StripOriginName bool
	// Records asks for melange's side files (see records.go).
	Records Records
}

// TestOptions describe one run of a recipe's tests.
type TestOptions struct {
	EnvOptions
	// Package, when set, tests only that package (or subpackage).
	Package string
}

func (o *Options) outDir() string {
	if o.OutDir == "" {
		return "packages"
	}
	return o.OutDir
}

func (o *EnvOptions) cacheDir() string {
	if o.CacheDir == "" {
		return "melange-cache"
	}
	return o.CacheDir
}

// checkDefaultDirs refuses, before any work, a default out dir or cache
// dir that is a symlink (see OutDirChosen and CacheDirChosen).
func (o *Options) checkDefaultDirs(arch string) error {
	if !o.OutDirChosen {
		for _, d := range []string{o.outDir(), filepath.Join(o.outDir(), arch)} {
			if err := fsutil.NotALink(d, "--out-dir", "the build writes its packages and index there"); err != nil {
				return err
			}
		}
	}
	_, err := o.mountedCacheDir()
	return err
}

// mountedCacheDir is the absolute cache dir the sandbox mounts read-write
// at /var/cache/melange. The default, ./melange-cache, may have come with
// a folder of recipes: as a symlink it could give the steps any host dir
// (melange-cache -> /), so it is refused unless the user chose it.
func (o *EnvOptions) mountedCacheDir() (string, error) {
	dir, err := filepath.Abs(o.cacheDir())
	if err != nil {
		return "", err
	}
	if !o.CacheDirChosen {
		if err := fsutil.NotALink(dir, "--cache-dir", "the sandbox mounts the cache dir read-write"); err != nil {
			return "", err
		}
	}
	return dir, nil
}

func (o *EnvOptions) apkCacheDir() (string, error) {
	if o.ApkCacheDir != "" {
		return o.ApkCacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "pestle"), nil
}

// sourceDateEpoch is SourceDateEpoch, else the build date (see
// apk.BuildDate: $SOURCE_DATE_EPOCH, else date, else 0).
func (o *EnvOptions) sourceDateEpoch(date string) (int64, error) {
	if o.SourceDateEpoch == nil {
		return apk.BuildDate(date)
	}
	if *o.SourceDateEpoch < 0 {
		return 0, fmt.Errorf("source date epoch %d is before 1970", *o.SourceDateEpoch)
	}
	return *o.SourceDateEpoch, nil
}

// Epoch is the time given to every file and signature of the build:
// SourceDateEpoch, else $SOURCE_DATE_EPOCH, else BuildDate, else 0.
func (o *Options) Epoch() (int64, error) {
	return o.sourceDateEpoch(o.BuildDate)
}

func (o *EnvOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// phase logs the end of a phase with its duration.
func phase(log *slog.Logger, start time.Time, msg string, args ...any) {
	log.Info(msg, append(args, "took", time.Since(start).Round(time.Millisecond))...)
}
