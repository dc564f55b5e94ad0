package graph

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pestle-dev/pestle/pipeline"
)

// Options choose how recipes are compiled into nodes.
type Options struct {
	// Arch is the target architecture ("" means the host's).
	Arch string
	// PipelineDirs are searched for uses: pipelines before the built-in
	// library, as for a build.
	PipelineDirs []string
	// VarsFile and BuildOptions are passed to the compiler.
	VarsFile     string
	BuildOptions []string
	// Jobs bounds how many recipes are compiled at once (0: GOMAXPROCS).
	Jobs int
}

// recipeFiles are the names looked for in a subfolder of a folder given to
// Discover (a melange project's layout).
var recipeFiles = []string{"melange.yaml", ".melange.yaml", "melange.yml", ".melange.yml"}

// Discover expands args into recipe files: a file is taken as is; a folder
// gives its *.yaml and *.yml regular files and the melange.yaml of each
// subfolder.
// The result is sorted and has no duplicates.
func Discover(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, filepath.Clean(a))
			continue
		}
		ents, err := os.ReadDir(a)
		if err != nil {
			return nil, err
		}
		n := len(out)
		for _, e := range ents {
			name := e.Name()
			switch {
			case e.IsDir() && !strings.HasPrefix(name, "."):
				for _, rf := range recipeFiles {
					p := filepath.Join(a, name, rf)
					if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
						out = append(out, p)
						break
					}
				}
			case !e.IsDir() && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")):
				// Regular files only: a FIFO of that name would block
				// the whole set (a FIFO named on the command line is
				// read, as pestle compile <(…) does).
				p := filepath.Join(a, name)
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					out = append(out, p)
				}
			}
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no recipes (*.yaml, or */melange.yaml) in this folder", a)
		}
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// Load reads and compiles every recipe in files (see Discover) and links
// them into a graph. A recipe that does not parse is an error; one that
// parses but does not compile still becomes a node, from the fields it
// declares, with a warning (its build will report the error).
func Load(files []string, opts Options) (*Graph, error) {
	lib := pipeline.NewLibrary(opts.PipelineDirs...)
	nodes := make([]*Node, len(files))
	errs := make([]error, len(files))
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(jobs, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				nodes[i], errs[i] = loadNode(files[i], lib, &opts)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return link(nodes)
}

// loadNode parses and compiles one recipe into a node.
func loadNode(file string, lib *pipeline.Library, opts *Options) (*Node, error) {
	rec, err := pipeline.Load(file, pipeline.LoadOptions{})
	if err != nil {
		return nil, err
	}
	n := &Node{Recipe: file, Name: rec.Package.Name}
	plan, err := pipeline.Compile(rec, pipeline.CompileOptions{
		Arch: opts.Arch, PipelineDirs: opts.PipelineDirs, VarsFile: opts.VarsFile,
		BuildOptions: opts.BuildOptions, Library: lib,
	})
	switch {
	case errors.Is(err, pipeline.ErrArchNotTargeted):
		n.NotTargeted = err.Error()
		fromRecipe(n, rec)
	case err != nil:
		first, _, _ := strings.Cut(err.Error(), "\n")
		n.Warning = "does not compile (" + first + "); its edges come from the fields it declares"
		fromRecipe(n, rec)
	default:
		fromPlan(n, plan)
		n.Plan = plan
	}
	n.Provides = sortedNames(n.Provides)
	sort.Slice(n.Needs, func(i, j int) bool {
		if n.Needs[i].Name != n.Needs[j].Name {
			return n.Needs[i].Name < n.Needs[j].Name
		}
		return n.Needs[i].Kind < n.Needs[j].Kind
	})
	n.Needs = slices.Compact(n.Needs)
	return n, nil
}

// fromPlan fills n from a compiled plan.
func fromPlan(n *Node, p *pipeline.Plan) {
	n.Version = p.Package.FullVersion
	for _, pk := range p.Packages {
		n.Packages = append(n.Packages, pk.Name)
		n.Provides = append(n.Provides, pk.Name)
		n.Provides = append(n.Provides, depNames(pk.Dependencies.Provides)...)
		n.addNeeds(KindRuntime, pk.Dependencies.Runtime)
	}
	n.addNeeds(KindBuild, p.Environment.Packages)
	for _, t := range p.Tests {
		n.addNeeds(KindTest, t.Environment.Packages)
	}
}

// fromRecipe fills n from a recipe that did not compile, substituting the
// package's name and version and its vars where it can.
func fromRecipe(n *Node, r *pipeline.Recipe) {
	sc := pipeline.NewScope(nil)
	full := r.Package.Version + "-r" + strconv.FormatUint(r.Package.Epoch, 10)
	sc.Set("package.name", r.Package.Name)
	sc.Set("package.version", r.Package.Version)
	sc.Set("package.epoch", strconv.FormatUint(r.Package.Epoch, 10))
	sc.Set("package.full-version", full)
	for k, v := range r.Vars {
		if x, err := sc.Expand(v); err == nil {
			sc.Set("vars."+k, x)
		}
	}
	exp := func(in []string) []string {
		var out []string
		for _, s := range in {
			if x, err := sc.Expand(s); err == nil {
				out = append(out, x)
			}
		}
		return out
	}
	n.Version = full
	n.Packages = append(n.Packages, r.Package.Name)
	n.Provides = append(n.Provides, r.Package.Name)
	n.Provides = append(n.Provides, depNames(exp(r.Package.Dependencies.Provides))...)
	n.addNeeds(KindRuntime, exp(r.Package.Dependencies.Runtime))
	n.addNeeds(KindBuild, exp(r.Environment.Contents.Packages))
	if r.Test != nil {
		n.addNeeds(KindTest, exp(r.Test.Environment.Contents.Packages))
	}
	for _, s := range r.Subpackages {
		if s.Range != "" {
			continue
		}
		if names := exp([]string{s.Name}); len(names) == 1 {
			n.Packages = append(n.Packages, names[0])
			n.Provides = append(n.Provides, names[0])
		}
		n.Provides = append(n.Provides, depNames(exp(s.Dependencies.Provides))...)
		n.addNeeds(KindRuntime, exp(s.Dependencies.Runtime))
		if s.Test != nil {
			n.addNeeds(KindTest, exp(s.Test.Environment.Contents.Packages))
		}
	}
}

func (n *Node) addNeeds(kind string, deps []string) {
	for _, d := range depNames(deps) {
		n.Needs = append(n.Needs, Need{Name: d, Kind: kind})
	}
}
