package build

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/lint"
	"github.com/pestle-dev/pestle/pipeline/sca"
)

// emitter packs output trees into signed packages.
type emitter struct {
	plan                  *pipeline.Plan
	outDir                string       // <out>/<arch>
	signer                *keys.Signer // nil: unsigned
	sde                   int64
	recipe                []byte
	readGuest             func(rel string) ([]byte, error) // the guest's files, for user and group names
	maint                 string
	tempDir               string
	envPkgs               []*apk.PackageInfo // installed in the build environment
	sources               []Source           // fetched and checked out, for the SBOMs
	lintRequire, lintWarn []string
	log                   *slog.Logger
	users                 map[int]string
	groups                map[int]string
	loadedID              bool
	family                *sca.Family // the output trees, read once for every scan
	origin                RecipeOrigin
	stripOrigin           bool   // each package is its own origin (--strip-origin-name)
	lintResults           string // base dir of lint-<pkg>-<ver>.json files; "": not written
	depLog                depLog // shared libraries needed, for --dependency-log
}

// info is the package metadata of one (sub)package plan.
func (e *emitter) info(pkg pipeline.PackagePlan) (*apk.PackageInfo, error) {
	main := e.plan.Package
	p := &apk.PackageInfo{
		Name:        pkg.Name,
		Version:     main.FullVersion,
		Arch:        e.plan.Arch,
		Description: pkg.Description,
		URL:         pkg.URL,
		License:     main.License,
		Origin:      main.Name,
		Commit:      pkg.Commit,
		Maintainer:  e.maint,
		Depends:     pkg.Dependencies.Runtime,
		Provides:    pkg.Dependencies.Provides,
		Replaces:    pkg.Dependencies.Replaces,
	}
	if p.Description == "" && pkg.Name == main.Name {
		p.Description = main.Description
	}
	if p.URL == "" {
		p.URL = main.URL
	}
	if p.Commit == "" {
		p.Commit = main.Commit
	}
	if p.Commit == "" {
		p.Commit = e.origin.Commit
	}
	if e.stripOrigin {
		p.Origin = pkg.Name
	}
	var err error
	if v := pkg.Dependencies.ProviderPriority; v != "" {
		if p.ProviderPriority, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fmt.Errorf("package %s: dependencies.provider-priority %q is not a whole number", pkg.Name, v)
		}
	}
	if v := pkg.Dependencies.ReplacesPriority; v != "" {
		if p.ReplacesPriority, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, fmt.Errorf("package %s: dependencies.replaces-priority %q is not a whole number", pkg.Name, v)
		}
	}
	if s := pkg.Scriptlets; s != nil && s.Trigger.Script != "" {
		p.Triggers = s.Trigger.Paths
	}
	return p, nil
}

func scripts(s *pipeline.Scriptlets) map[string][]byte {
	out := map[string][]byte{}
	if s == nil {
		return out
	}
	for name, body := range map[string]string{
		".pre-install": s.PreInstall, ".post-install": s.PostInstall,
		".pre-deinstall": s.PreDeinstall, ".post-deinstall": s.PostDeinstall,
		".pre-upgrade": s.PreUpgrade, ".post-upgrade": s.PostUpgrade,
		".trigger": s.Trigger.Script,
	} {
		if body != "" {
			out[name] = []byte(body)
		}
	}
	return out
}

// prepare completes the output tree of pkg before it is packed: detected
// dependencies go into its metadata, the linters run (a required finding
// is an error), and its SBOM is written into the tree.
func (e *emitter) prepare(ctx context.Context, pkg pipeline.PackagePlan, tree string, siblings []string) (*apk.PackageInfo, error) {
	info, err := e.info(pkg)
	if err != nil {
		return nil, err
	}
	if err := checkOutputTree(filepath.Dir(filepath.Dir(tree)), pkg.Name); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tree, 0o755); err != nil {
		return nil, err
	}
	// The scan and the linters only read the tree: they run side by side,
	// and the linters' findings are reported after the scan, as before.
	var findings []lint.Finding
	var lintErr error
	linted := make(chan struct{})
	go func() {
		defer close(linted)
		findings, lintErr = e.runLint(ctx, pkg, tree)
	}()
	err = e.analyze(ctx, pkg, info, tree, siblings)
	<-linted
	if err != nil {
		return nil, err
	}
	if err := e.reportLint(pkg, findings, lintErr); err != nil {
		return nil, err
	}
	if err := checkSetcap(pkg, tree); err != nil {
		return nil, err
	}
	if err := e.writeSBOM(pkg, info, tree); err != nil {
		return nil, err
	}
	return info, nil
}

// pack writes the prepared tree of pkg as a signed package, atomically,
// into the output directory.
func (e *emitter) pack(pkg pipeline.PackagePlan, info *apk.PackageInfo, tree string) (*fsutil.File, time.Duration, error) {
	start := time.Now()
	if err := e.loadIDs(); err != nil {
		return nil, 0, fmt.Errorf("packing %s: %w", info.Name, err)
	}
	xattrs, err := setcapXattrs(pkg)
	if err != nil {
		return nil, 0, err
	}
	if err := os.MkdirAll(e.outDir, 0o755); err != nil {
		return nil, 0, err
	}
	// Staged under a temporary name; index.Publish puts it in place
	// together with the index.
	f, err := fsutil.Create(filepath.Join(e.outDir, info.Filename()))
	if err != nil {
		return nil, 0, fmt.Errorf("packing %s: %w", info.Name, err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = apk.Write(bw, tree, info, apk.WriteOptions{
		Xattrs:          xattrs,
		Signer:          e.signer,
		SourceDateEpoch: e.sde,
		Owner:           e.owner,
		Scripts:         scripts(pkg.Scriptlets),
		ExtraControl:    map[string][]byte{".melange.yaml": e.recipe},
		TempDir:         e.tempDir,
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Abort()
		return nil, 0, fmt.Errorf("packing %s: %w", info.Name, err)
	}
	return f, time.Since(start), nil
}

// analyze adds the dependencies and provides found in the tree (shared
// libraries, commands, pkg-config files, interpreters) to info, keeping the
// recipe's own and dropping what the package satisfies itself.
func (e *emitter) analyze(ctx context.Context, pkg pipeline.PackagePlan, info *apk.PackageInfo, tree string, siblings []string) error {
	opts := sca.Options{
		Name: pkg.Name, Version: info.Version, Siblings: siblings, Family: e.family,
		Environment: e.envPkgs, Logger: e.log.With("package", pkg.Name),
	}
	if o := pkg.Options; o != nil {
		opts.NoProvides, opts.NoDepends, opts.NoCommands = o.NoProvides, o.NoDepends, o.NoCommands
		opts.NoVersionedShlibDeps = o.NoVersionedShlibDeps
	}
	res, err := sca.Analyze(ctx, tree, opts)
	if err != nil {
		return fmt.Errorf("scanning %s for dependencies: %w", pkg.Name, err)
	}
	e.depLog.add(res)
	for _, d := range sca.Merge(info, res) {
		e.log.Debug("dependency dropped", "package", pkg.Name, "depend", d.Dep, "why", d.Reason)
	}
	return nil
}

// owner maps build-time ownership to package ownership: the build user
// (1000) becomes root, as in melange; other ids keep their number and take
// their names from the guest's passwd and group.
func (e *emitter) owner(uid, gid int, _ string) (int, int, string, string) {
	if uid == 1000 {
		uid = 0
	}
	if gid == 1000 {
		gid = 0
	}
	uname, gname := e.users[uid], e.groups[gid]
	if uid == 0 {
		uname = "root"
	}
	if gid == 0 {
		gname = "root"
	}
	return uid, gid, uname, gname
}

func (e *emitter) loadIDs() error {
	if e.loadedID {
		return nil
	}
	passwd, err := e.readGuest("etc/passwd")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	group, err := e.readGuest("etc/group")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	e.loadedID = true
	e.users, e.groups = readIDs(passwd), readIDs(group)
	return nil
}

// readIDs reads name:x:id:… lines into id → name.
func readIDs(data []byte) map[int]string {
	out := map[int]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := out[id]; !dup {
				out[id] = f[0]
			}
		}
	}
	return out
}
