package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/sandbox"
)

// resumeState is what a build whose step failed leaves behind so that
// --resume can continue it: the kept workspace and guest root, and where
// it stopped.
type resumeState struct {
	Recipe    string           `json:"recipe"`
	Arch      string           `json:"arch"`
	RootKey   string           `json:"root-key"`
	Scratch   string           `json:"scratch"`
	Guest     string           `json:"guest"`
	Workspace string           `json:"workspace"`
	OwnsWS    bool             `json:"owns-workspace,omitempty"`
	Overlay   *sandbox.Overlay `json:"overlay,omitempty"`
	WSOverlay *sandbox.Overlay `json:"workspace-overlay,omitempty"`
	WSMount   string           `json:"workspace-mount,omitempty"`
	// Package and Step index the failed step in the plan.
	Package  int    `json:"package"`
	Step     int    `json:"step"`
	StepName string `json:"step-name"`
	Line     int    `json:"line"`
	// Done are digests of every step before the failed one.
	Done    []string `json:"done"`
	Sources []Source `json:"sources,omitempty"`
}

// maxResumeState bounds the state file read back.
const maxResumeState = 1 << 20

// resumePath is where the state of a failed build of opts.Recipe for arch
// is kept.
func resumePath(opts *Options, arch string) (string, error) {
	cache, err := opts.apkCacheDir()
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(opts.Recipe)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cache, "resume", hex.EncodeToString(sum[:8])+"-"+arch+".json"), nil
}

// stepsBefore are digests of the steps of plan before step (pkg, step).
func stepsBefore(plan *pipeline.Plan, pkg, step int) []string {
	var out []string
	for i, p := range plan.Packages[:pkg+1] {
		steps := p.Steps
		if i == pkg {
			steps = steps[:min(step, len(steps))]
		}
		for _, s := range steps {
			b, _ := json.Marshal(s)
			sum := sha256.Sum256(append([]byte(p.Name+"\x00"), b...))
			out = append(out, hex.EncodeToString(sum[:]))
		}
	}
	return out
}

// keepForResume keeps the session of a build whose step failed and records
// where, so that --resume continues from that step.
func keepForResume(opts *Options, plan *pipeline.Plan, ses *session, pkg int, err error, sources []Source) {
	var se *StepError
	if !errors.As(err, &se) {
		return
	}
	path, perr := resumePath(opts, plan.Arch)
	if perr != nil {
		return
	}
	abs, _ := filepath.Abs(opts.Recipe)
	st := &resumeState{Recipe: abs, Arch: plan.Arch, RootKey: ses.rootKey, Scratch: ses.scratch, Guest: ses.guest,
		Workspace: ses.workspace, OwnsWS: ses.ownsWS, Overlay: ses.overlay, WSOverlay: ses.wsOverlay, WSMount: ses.wsMount, Package: pkg, Step: se.Index,
		StepName: se.Step, Line: se.Line, Done: stepsBefore(plan, pkg, se.Index), Sources: sources}
	b, jerr := json.MarshalIndent(st, "", "  ")
	if jerr != nil || os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	if werr := os.WriteFile(path, b, 0o600); werr != nil {
		ses.log.Warn("could not record the failed build for --resume", "err", werr)
		return
	}
	ses.keep = true
	args := []string{pipeline.QuoteArg(opts.Recipe)}
	for _, f := range opts.ResumeFlags {
		args = append(args, pipeline.QuoteArg(f))
	}
	se.Resume = strings.Join(args, " ")
	ses.log.Info("kept the workspace and guest root for --resume", "workspace", ses.workspace, "step", se.Step)
}

// loadResume reads the state of the last failed build of opts.Recipe; it
// returns why the build cannot resume when it cannot ("" when it can).
func loadResume(opts *Options, plan *pipeline.Plan) (*resumeState, string) {
	path, err := resumePath(opts, plan.Arch)
	if err != nil {
		return nil, err.Error()
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "no failed build of " + opts.Recipe + " for " + plan.Arch + " was kept"
	}
	if err != nil {
		return nil, err.Error()
	}
	defer f.Close()
	st := &resumeState{}
	if err := json.NewDecoder(io.LimitReader(f, maxResumeState)).Decode(st); err != nil {
		return nil, fmt.Sprintf("the state of the failed build (%s) is unreadable: %v", path, err)
	}
	if _, err := os.Stat(st.Workspace); err != nil {
		return st, "the kept workspace " + st.Workspace + " is gone"
	}
	if st.Package >= len(plan.Packages) || st.Step > len(plan.Packages[st.Package].Steps) {
		return st, "the recipe changed: it no longer has the step that failed"
	}
	now := stepsBefore(plan, st.Package, st.Step)
	for i, d := range st.Done {
		if i >= len(now) || now[i] != d {
			return st, fmt.Sprintf("the recipe changed before the failed step %q: step %d of the steps already run differs", st.StepName, i+1)
		}
	}
	if len(now) != len(st.Done) {
		return st, fmt.Sprintf("the recipe changed before the failed step %q: it has a different number of steps before it", st.StepName)
	}
	return st, ""
}

// dropResume removes a kept failed build: its directories and its state.
func dropResume(opts *Options, arch string, st *resumeState) {
	if path, err := resumePath(opts, arch); err == nil {
		_ = os.Remove(path)
	}
	if st == nil {
		return
	}
	if st.Scratch != "" {
		_ = fsutil.RemoveTree(st.Scratch)
	}
	if st.OwnsWS {
		_ = fsutil.RemoveTree(st.Workspace)
	}
}

// openOrResume opens the session of a build: with --resume the kept one
// of the last failed build when the recipe did not change before the
// failed step and the environment resolves to the same guest root. It
// returns the state to resume from (nil for a fresh build).
func openOrResume(ctx context.Context, opts *Options, plan *pipeline.Plan) (*session, *resumeState, error) {
	env := buildEnvironment(opts, plan)
	st, why := loadResume(opts, plan)
	if !opts.Resume {
		if st != nil {
			dropResume(opts, plan.Arch, st)
		}
		ses, err := openSession(ctx, &opts.EnvOptions, env, plan.Arch)
		return ses, nil, err
	}
	log := opts.logger()
	if why == "" {
		ses, err := resumeSession(ctx, opts, env, st)
		if err != nil {
			return nil, nil, err
		}
		if ses != nil {
			log.Info("resuming the failed build", "step", st.StepName, "line", st.Line, "workspace", st.Workspace)
			return ses, st, nil
		}
		why = "the build environment resolves to other packages than the kept guest root holds"
	}
	log.Warn("cannot resume: building afresh", "why", why)
	dropResume(opts, plan.Arch, st)
	ses, err := openSession(ctx, &opts.EnvOptions, env, plan.Arch)
	return ses, nil, err
}

// resumeSession is the kept session of st, or nil when env no longer
// resolves to the same guest root.
func resumeSession(ctx context.Context, opts *Options, env environment, st *resumeState) (*session, error) {
	apkCache, err := opts.apkCacheDir()
	if err != nil {
		return nil, err
	}
	sel, err := resolveEnv(ctx, env, repo.Options{CacheDir: apkCache, Logger: opts.logger(), Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	if rootKey(sel, env) != st.RootKey {
		return nil, nil
	}
	return &session{scratch: st.Scratch, guest: st.Guest, workspace: st.Workspace, ownsWS: st.OwnsWS,
		keep: opts.Keep, overlay: st.Overlay, wsOverlay: st.WSOverlay, wsMount: st.WSMount, packages: sel.Packages, log: opts.logger(), rootKey: st.RootKey, hit: true}, nil
}

// from is the first step of package i to run: 0 on a fresh build, -1 for
// a package that finished before the failure.
func (st *resumeState) from(i int) int {
	switch {
	case st == nil || i > st.Package:
		return 0
	case i < st.Package:
		return -1
	}
	return st.Step
}

// keptMarker, in a scratch dir, says it was kept on purpose (--rm=false,
// or for --resume): collectDead leaves it alone though its writer is gone.
const keptMarker = ".pestle-kept"

func markKept(dir string) {
	_ = os.WriteFile(filepath.Join(dir, keptMarker), nil, 0o644)
}

func isKept(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, keptMarker))
	return err == nil
}
