package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
)

// runFlags are the flags build, test and compile share, under melange's
// names. Each is declared once, here.
type runFlags struct {
	o                                   build.Options
	arches                              []string
	runner                              string
	timeout                             time.Duration
	rm, ignoreSignatures, debugRunner   bool
	cpu, cpumodel, memory, disk         string
	cacheSource                         string
	pipelineDir                         []string
	envFiles                            []string
	packages                            []string
	workspaceDir, sourceDir, apkCache   string
	cacheDir                            string
	keyring, repositories, pipelineDirs []string
	flags                               *pflag.FlagSet
}

// addRunFlags declares the shared flags on f. cacheDir is the --cache-dir
// default (melange's build says ./melange-cache/, its test says "").
func addRunFlags(f *pflag.FlagSet, r *runFlags, cacheDir string) {
	r.flags = f
	listVar(f, &r.arches, "arch", "", nil, "architectures: a list (x86_64,aarch64; amd64/arm64 accepted), \"all\" or \"host\" (default: the host's, unless the recipe targets fewer)")
	f.StringVar(&r.runner, "runner", "", "where steps run: bubblewrap (the only runner; docker and qemu are refused)")
	listVar(f, &r.keyring, "keyring-append", "k", nil, "public keys (files, dirs or URLs) trusted for the repositories")
	listVar(f, &r.repositories, "repository-append", "r", nil, "repositories (dirs or URLs) added to the recipe's")
	listVar(f, &r.packages, "package-append", "", nil, "packages added to every build (and test) environment")
	f.StringVar(&r.sourceDir, "source-dir", "", "directory copied into the workspace")
	f.StringVar(&r.workspaceDir, "workspace-dir", "", "keep the workspace in DIR/<arch> (default: a temporary directory)")
	f.StringVar(&r.cacheDir, "cache-dir", cacheDir, "mounted at /var/cache/melange when it exists")
	f.StringVar(&r.cacheSource, "cache-source", "", "accepted for melange compatibility; melange does not use it either")
	f.StringVar(&r.apkCache, "apk-cache-dir", "", "cache of packages, indexes, sources and guest roots (default: the user cache dir)")
	listVar(f, &r.pipelineDirs, "pipeline-dirs", "", nil, "directories searched for uses: pipelines before the built-in ones")
	listVar(f, &r.envFiles, "env-file", "", nil, "dotenv file(s) of variables for every step; a later file wins, the recipe's environment wins over all")
	f.BoolVar(&r.o.Debug, "debug", false, "trace every shell command (set -x)")
	f.BoolVar(&r.debugRunner, "debug-runner", false, "keep the sandbox's workspace and guest root afterwards (same as --rm=false)")
	f.BoolVarP(&r.o.Interactive, "interactive", "i", false, "drop into a shell in the sandbox when a step fails")
	f.BoolVar(&r.rm, "rm", true, "remove the workspace and guest root afterwards")
	f.BoolVar(&r.ignoreSignatures, "ignore-signatures", false, "accept unsigned or untrusted repository indexes (melange's name for --allow-untrusted)")
	f.BoolVar(&r.ignoreSignatures, "allow-untrusted", false, "same as --ignore-signatures")
	f.StringVar(&r.cpu, "cpu", "", "CPUs the steps may use (2, 1.5, 500m): a cgroup v2 limit where delegated, else one warning")
	f.StringVar(&r.cpumodel, "cpumodel", "", "CPU model for melange's QEMU runner (accepted, warned about)")
	f.StringVar(&r.memory, "memory", "", "memory the steps may use (4Gi, 512M): a cgroup v2 limit where delegated, else one warning")
	f.StringVar(&r.disk, "disk", "", "disk size for melange's QEMU runner (accepted, warned about)")
	f.DurationVar(&r.timeout, "timeout", 0, "stop the build or test after this long (e.g. 30m; 0: no limit)")
	addNetworkFlags(f, &r.o)
}

// options turns the shared flags into r.o and returns the architectures to
// run for ("" once: the host's).
func (r *runFlags) options() ([]string, error) {
	if err := build.CheckRunner(r.runner); err != nil {
		return nil, err
	}
	arches, err := pipeline.ParseArchList(r.arches)
	if err != nil {
		return nil, fmt.Errorf("--arch: %w", err)
	}
	if len(arches) == 0 {
		arches = []string{""}
	}
	o := &r.o
	o.Keyring, o.Repositories, o.Packages = r.keyring, r.repositories, r.packages
	o.SourceDir, o.WorkspaceDir, o.CacheDir, o.ApkCacheDir = r.sourceDir, r.workspaceDir, r.cacheDir, r.apkCache
	o.CacheDirChosen = r.flags != nil && r.flags.Changed("cache-dir")
	o.PipelineDirs = append(append([]string(nil), r.pipelineDir...), r.pipelineDirs...)
	o.EnvFiles = r.envFiles
	o.AllowUntrusted = r.ignoreSignatures
	o.Keep = !r.rm || r.debugRunner
	if r.timeout < 0 {
		return nil, fmt.Errorf("--timeout %s: want a duration such as 30m, or 0 for no limit", r.timeout)
	}
	o.Timeout = r.timeout
	o.Resources = pipeline.Resources{CPU: r.cpu, CPUModel: r.cpumodel, Memory: r.memory, Disk: r.disk}
	o.Logger = logger()
	if r.cacheSource != "" {
		o.Logger.Warn("--cache-source is accepted and ignored, as melange ignores it; fill --cache-dir instead", "cache-source", r.cacheSource)
	}
	for _, d := range o.PipelineDirs {
		// melange accepts a missing one too, and finds nothing there.
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			o.Logger.Warn("--pipeline-dir is not a directory: no pipeline is found there", "dir", d)
		}
	}
	return arches, nil
}

// buildFlags are the flags of build (and compile) beyond the shared ones.
type buildFlags struct {
	run                   runFlags
	buildDate, trace      string
	generateIndex         bool
	libc                  string
	overlayBinSh          string
	failOnLintWarning     bool
	cleanup               bool
	createBuildLog        bool
	persistLint, prov     bool
	dependencyLog         string
	lintRequire, lintWarn []string
	closeTrace            func() error
}

// addBuildFlags declares build's flags on f, the shared ones included.
func addBuildFlags(f *pflag.FlagSet, b *buildFlags) {
	addRunFlags(f, &b.run, "./melange-cache/")
	o := &b.run.o
	listVar(f, &b.run.pipelineDir, "pipeline-dir", "", nil, "directory searched for uses: pipelines before the built-in ones (repeatable)")
	f.StringVar(&o.SigningKey, "signing-key", "", "RSA private key that signs the packages and the index (unsigned when empty)")
	f.StringVar(&o.OutDir, "out-dir", "./packages/", "where <arch>/*.apk and APKINDEX.tar.gz are written")
	f.StringVar(&o.VarsFile, "vars-file", "", "YAML map of variables merged over the recipe's vars")
	listVar(f, &o.BuildOptions, "build-option", "", nil, "enable a build option of the recipe's options:")
	f.BoolVar(&b.generateIndex, "generate-index", true, "merge the packages into <out-dir>/<arch>/APKINDEX.tar.gz")
	f.BoolVar(&o.EmptyWorkspace, "empty-workspace", false, "start with an empty workspace instead of a copy of the source dir")
	f.BoolVar(&o.StripOriginName, "strip-origin-name", false, "write each package's own name as its origin (for bootstrap)")
	f.StringVar(&o.Namespace, "namespace", "unknown", "distribution namespace: packages' maintainer and the SBOM's purls")
	f.StringVar(&b.buildDate, "build-date", "", "RFC 3339 date of every file (SOURCE_DATE_EPOCH wins; default: epoch 0)")
	f.StringVar(&b.libc, "override-host-triplet-libc-substitution-flavor", "gnu", "libc flavor of ${{host.triplet.*}} (gnu or musl)")
	f.StringVar(&b.overlayBinSh, "overlay-binsh", "", "melange's /bin/sh overlay (accepted, warned about: not supported)")
	listVar(f, &b.lintRequire, "lint-require", "", nil, "linters whose findings fail the build (default: melange's required set)")
	listVar(f, &b.lintWarn, "lint-warn", "", nil, "linters whose findings are only warnings (default: melange's warning set)")
	f.BoolVar(&b.persistLint, "persist-lint-results", false, "write lint-<package>-<version>.json into <out-dir>/<arch>")
	f.BoolVar(&b.createBuildLog, "create-build-log", false, "append arch|origin|package|version lines to ./packages.log")
	f.StringVar(&b.dependencyLog, "dependency-log", "", "write the shared-library dependencies found to FILE.<arch> (JSON)")
	f.BoolVar(&b.prov, "generate-provenance", false, "write an in-toto SLSA provenance statement next to each package (.attest.tar.gz)")
	f.StringVar(&o.Origin.Commit, "git-commit", "", "commit of the repository holding the recipe (default: its git HEAD); .PKGINFO and SBOM")
	f.StringVar(&o.Origin.RepoURL, "git-repo-url", "", "URL of the repository holding the recipe (SBOM)")
	f.StringVar(&o.Origin.License, "license", "NOASSERTION", "license of the recipe file itself (SBOM)")
	f.StringVar(&b.trace, "trace", "", "write a JSON trace of the build's phases to FILE")
	f.BoolVar(&b.cleanup, "cleanup", true, "accepted for melange compatibility (melange ignores it too; see --rm)")
	f.BoolVar(&b.failOnLintWarning, "fail-on-lint-warning", false, "deprecated: use --lint-require and --lint-warn")
	_ = f.MarkDeprecated("fail-on-lint-warning", "use --lint-require and --lint-warn instead")
	_ = f.MarkHidden("allow-untrusted")
}

// options completes the build options from the flags; changed tells
// whether a flag was given on the command line.
func (b *buildFlags) options(changed func(string) bool) ([]string, error) {
	arches, err := b.run.options()
	if err != nil {
		return nil, err
	}
	o := &b.run.o
	o.OutDirChosen = changed("out-dir")
	o.NoIndex = !b.generateIndex
	o.LibcFlavor = b.libc
	o.Records = build.Records{BuildLog: b.createBuildLog, LintResults: b.persistLint, Provenance: b.prov, DependencyLog: b.dependencyLog}
	if o.Origin.License == "NOASSERTION" {
		o.Origin.License = ""
	}
	o.LintRequire, o.LintWarn = nil, nil
	if changed("lint-require") {
		o.LintRequire = append([]string{}, b.lintRequire...)
	}
	if changed("lint-warn") {
		o.LintWarn = append([]string{}, b.lintWarn...)
	}
	o.BuildDate = b.buildDate
	if b.trace != "" {
		if o.Logger, b.closeTrace, err = openTrace(o.Logger, b.trace); err != nil {
			return nil, err
		}
	}
	if b.overlayBinSh != "" {
		o.Logger.Warn("accepted but ignored: --overlay-binsh (the guest's own /bin/sh is used)")
	}
	return arches, nil
}

// close ends what options opened (the --trace file).
func (b *buildFlags) close() {
	if b.closeTrace != nil {
		_ = b.closeTrace()
	}
}
