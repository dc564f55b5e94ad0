package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/build"
)

// KeyInputs are what a recipe's key is a digest of. Each field is itself a
// digest or a short list, so that two records say why they differ.
type KeyInputs struct {
	// Recipe is the SHA-256 of the recipe file.
	Recipe string `json:"recipe"`
	// Plan is the SHA-256 of the compiled recipe: every script with the
	// uses: pipelines inlined and the vars and build options substituted.
	Plan string `json:"plan"`
	// Pipelines maps each pipeline used to the SHA-256 of its steps.
	Pipelines map[string]string `json:"pipelines,omitempty"`
	// Sources are the fetch and git-checkout steps with their checksums
	// and commits.
	Sources []string `json:"sources,omitempty"`
	// Environment is the resolved build environment: name-version and
	// checksum of each package.
	Environment []string `json:"environment"`
	// SourceDir is the SHA-256 of the files copied into the workspace.
	SourceDir string `json:"source-dir,omitempty"`
	// Deps maps each recipe of the set this one needs to its key.
	Deps map[string]string `json:"deps,omitempty"`
	// Options are the build options, vars and env files, date, namespace
	// and signing key name given on the command line.
	Options []string `json:"options,omitempty"`
	Arch    string   `json:"arch"`
	Pestle  string   `json:"pestle"`
}

// Key is the SHA-256 of the inputs' JSON.
func (in *KeyInputs) Key() string {
	b, _ := json.Marshal(in) // maps are written sorted: the key is stable
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// keyInputs computes the inputs of a build of opts from its resolved
// inputs; deps are the keys of the recipes it needs.
func keyInputs(opts *build.Options, res *build.Inputs, deps map[string]string, version string, exclude []string) (*KeyInputs, error) {
	in := &KeyInputs{Arch: res.Plan.Arch, Pestle: version, Deps: deps, Pipelines: map[string]string{}, Environment: []string{}}
	var err error
	if in.Recipe, err = fsutil.SHA256File(opts.Recipe); err != nil {
		return nil, err
	}
	plan := *res.Plan
	plan.File = "" // the same recipe named from another folder is the same
	b, err := json.Marshal(&plan)
	if err != nil {
		return nil, err
	}
	in.Plan = digest(b)
	pipes := map[string]*strings.Builder{}
	for _, steps := range planSteps(res.Plan) {
		for _, s := range steps {
			if s.Host != "" {
				in.Sources = append(in.Sources, source(s))
			}
			if s.Uses != "" {
				if pipes[s.Uses] == nil {
					pipes[s.Uses] = &strings.Builder{}
				}
				fmt.Fprintf(pipes[s.Uses], "%s\x00%s\x00", s.Source, s.Script)
			}
		}
	}
	for name, b := range pipes {
		in.Pipelines[name] = digest([]byte(b.String()))
	}
	for _, p := range res.Environment {
		in.Environment = append(in.Environment, fmt.Sprintf("%s-%s %x", p.Name, p.Version, p.Checksum))
	}
	if !opts.EmptyWorkspace {
		dir := opts.SourceDir
		if dir == "" {
			dir = filepath.Dir(opts.Recipe)
		}
		if in.SourceDir, err = dirDigest(dir, exclude); err != nil {
			return nil, fmt.Errorf("reading the source dir: %w", err)
		}
	}
	if in.Options, err = optionInputs(opts); err != nil {
		return nil, err
	}
	return in, nil
}

// planSteps lists the step lists of every package and test of p.
func planSteps(p *pipeline.Plan) [][]pipeline.Step {
	var out [][]pipeline.Step
	for _, pk := range p.Packages {
		out = append(out, pk.Steps)
	}
	for _, t := range p.Tests {
		out = append(out, t.Steps)
	}
	return out
}

// source names a host step's source with what pins it.
func source(s pipeline.Step) string {
	parts := []string{s.Host}
	for _, k := range slices.Sorted(maps.Keys(s.With)) {
		switch k {
		case "uri", "repository", "expected-sha256", "expected-sha512", "expected-commit", "tag", "branch":
			parts = append(parts, k+"="+s.With[k])
		}
	}
	return strings.Join(parts, " ")
}

// optionInputs are the command-line options that change what a build
// makes.
func optionInputs(opts *build.Options) ([]string, error) {
	var out []string
	for _, o := range opts.BuildOptions {
		out = append(out, "build-option "+o)
	}
	for _, f := range []struct{ name, path string }{{"vars-file", opts.VarsFile}, {"env-file", opts.EnvFile}} {
		if f.path == "" {
			continue
		}
		d, err := fsutil.SHA256File(f.path)
		if err != nil {
			return nil, err
		}
		out = append(out, f.name+" "+d)
	}
	if opts.SourceDateEpoch != nil || opts.BuildDate != "" || os.Getenv(apk.SourceDateEpochEnv) != "" {
		sde, err := opts.Epoch()
		if err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("source-date-epoch %d", sde))
	}
	if opts.Namespace != "" {
		out = append(out, "namespace "+opts.Namespace)
	}
	if opts.SigningKey != "" {
		out = append(out, "signing-key "+filepath.Base(opts.SigningKey))
	}
	if opts.NoIndex {
		out = append(out, "no-index")
	}
	return out, nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// maxSourceFiles bounds the files of a source dir the key reads.
const maxSourceFiles = 100000

// dirDigest hashes the tree a build copies into its workspace: every
// path, mode, symlink target and file content under dir, leaving out the
// recipes beside it (the recipe's own digest is KeyInputs.Recipe), hidden
// folders such as .git, and the absolute paths in exclude (out-dir, logs,
// workspaces). Symlinks are hashed, never followed.
func dirDigest(dir string, exclude []string) (string, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	skip := map[string]bool{}
	for _, e := range exclude {
		if a, err := filepath.Abs(e); err == nil {
			skip[a] = true
		}
	}
	h := sha256.New()
	n := 0
	err = filepath.WalkDir(absDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == absDir {
			return nil
		}
		if skip[p] || (d.IsDir() && strings.HasPrefix(d.Name(), ".")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if filepath.Dir(p) == absDir && !d.IsDir() && isRecipeName(d.Name()) {
			return nil // this recipe is in Recipe; the others are not its input
		}
		if n++; n > maxSourceFiles {
			return fmt.Errorf("%s has more than %d files: give the recipe its own folder, or --source-dir", dir, maxSourceFiles)
		}
		rel, _ := filepath.Rel(absDir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", filepath.ToSlash(rel), info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00", t)
		case info.Mode().IsRegular():
			d, err := fsutil.SHA256File(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00", d)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isRecipeName(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// changes says how inputs b differ from a, in words.
func changes(a, b *KeyInputs) []string {
	var out []string
	add := func(cond bool, msg string) {
		if cond {
			out = append(out, msg)
		}
	}
	add(a.Recipe != b.Recipe, "the recipe changed")
	for _, name := range slices.Sorted(maps.Keys(b.Pipelines)) {
		if old, ok := a.Pipelines[name]; ok && old != b.Pipelines[name] {
			out = append(out, "pipeline "+name+" changed")
		}
	}
	add(a.Recipe == b.Recipe && a.Plan != b.Plan && len(out) == 0, "the compiled recipe changed (vars, build options or pipelines)")
	add(!slices.Equal(a.Sources, b.Sources), "the sources changed")
	if !slices.Equal(a.Environment, b.Environment) {
		out = append(out, "the build environment changed: "+listDiff(a.Environment, b.Environment))
	}
	add(a.SourceDir != b.SourceDir, "files in the source dir changed")
	for _, name := range slices.Sorted(maps.Keys(b.Deps)) {
		if a.Deps[name] != b.Deps[name] {
			out = append(out, "dependency "+name+" changed")
		}
	}
	add(!slices.Equal(a.Options, b.Options), "the build options changed")
	add(a.Arch != b.Arch, "the architecture changed")
	add(a.Pestle != b.Pestle, "pestle changed from "+a.Pestle+" to "+b.Pestle)
	if len(out) == 0 {
		out = append(out, "the key changed")
	}
	return out
}

// listDiff renders what b adds to and drops from a, entries being
// "name-version checksum": "+x-1 -y-2 x-1(rebuilt)".
func listDiff(a, b []string) string {
	split := func(l []string) map[string]string {
		m := map[string]string{}
		for _, s := range l {
			id, sum, _ := strings.Cut(s, " ")
			m[id] = sum
		}
		return m
	}
	ma, mb := split(a), split(b)
	var parts []string
	for id, sum := range mb {
		old, ok := ma[id]
		switch {
		case !ok:
			parts = append(parts, "+"+id)
		case old != sum:
			parts = append(parts, id+" (rebuilt)")
		}
	}
	for id := range ma {
		if _, ok := mb[id]; !ok {
			parts = append(parts, "-"+id)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
