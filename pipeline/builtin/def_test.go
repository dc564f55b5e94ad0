package builtin

import (
	"bytes"
	"fmt"
	"io/fs"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"gopkg.in/yaml.v3"
)

// definition is the pipeline definition schema, decoded strictly: a key
// outside it is an error, so the files stay readable by any decoder of
// the same schema.
type definition struct {
	Name     string           `yaml:"name"`
	Needs    needs            `yaml:"needs"`
	Inputs   map[string]input `yaml:"inputs"`
	Pipeline []step           `yaml:"pipeline"`
}

type needs struct {
	Packages []string `yaml:"packages"`
}

type input struct {
	Description string `yaml:"description"`
	Default     string `yaml:"default"`
	Required    bool   `yaml:"required"`
}

type step struct {
	Name             string            `yaml:"name"`
	Runs             string            `yaml:"runs"`
	Uses             string            `yaml:"uses"`
	With             map[string]string `yaml:"with"`
	If               string            `yaml:"if"`
	WorkingDirectory string            `yaml:"working-directory"`
	Environment      map[string]string `yaml:"environment"`
}

// wantNames are the pipelines melange ships (and meson/compile); each
// must exist.
var wantNames = []string{
	"R/build",
	"go/build/v2", "go/bump", "go/covdata",
	"llvm/covreport",
	"maven/configure-mirror", "maven/pombump",
	"pecl/install", "pecl/phpize",
	"xcover/ensure", "xcover/profile", "xcover/status", "xcover/stop", "xcover/wait",
	"autoconf/configure", "autoconf/make", "autoconf/make-install",
	"cargo/build",
	"cmake/build", "cmake/configure", "cmake/install",
	"fetch", "git-am", "git-checkout",
	"go/build", "go/install",
	"meson/compile", "meson/configure", "meson/install",
	"npm/install",
	"patch",
	"perl/cleanup", "perl/make",
	"python/build", "python/build-wheel", "python/import", "python/install", "python/test",
	"ruby/build", "ruby/clean", "ruby/install",
	"split/alldocs", "split/bin", "split/debug", "split/dev", "split/infodir",
	"split/lib", "split/locales", "split/manpages", "split/static",
	"strip",
}

// unusedInputs are declared for compatibility but read by no script:
// pestle uses them on the host side (fetch, git-checkout) or for the SBOM,
// or melange declares them without reading them (R/build, xcover/stop).
var unusedInputs = map[string][]string{
	"R/build":      {"package", "version"},
	"xcover/stop":  {"package"},
	"fetch":        {"purl-name", "purl-version", "reason"},
	"git-checkout": {"reason", "type-hint"},
}

var refRE = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// knownVar reports whether name is a variable a pipeline definition may
// use besides its own inputs: the build's, never the recipe's vars or range.
func knownVar(name string) bool {
	switch name {
	case "package.name", "package.version", "package.epoch", "package.full-version",
		"package.description", "package.srcdir",
		"targets.outdir", "targets.destdir", "targets.contextdir", "targets.subpkgdir",
		"subpkg.name", "context.name",
		"build.arch", "build.goarch",
		"host.triplet.gnu", "host.triplet.rust",
		"cross.triplet.gnu.glibc", "cross.triplet.gnu.musl",
		"cross.triplet.rust.glibc", "cross.triplet.rust.musl":
		return true
	}
	return strings.HasPrefix(name, "targets.package.") && len(name) > len("targets.package.")
}

func loadAll(t *testing.T) map[string]definition {
	t.Helper()
	defs := map[string]definition{}
	for _, name := range Names() {
		data, err := fs.ReadFile(FS, File(name))
		if err != nil {
			t.Fatal(err)
		}
		var d definition
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s: %v", File(name), err)
		}
		defs[name] = d
	}
	return defs
}

func TestNames(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	for _, want := range wantNames {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %q", want)
		}
		if !Has(want) {
			t.Errorf("Has(%q) = false", want)
		}
	}
	for _, bad := range []string{"", "split", "nope", "../builtin", "/fetch", "fetch.yaml"} {
		if Has(bad) {
			t.Errorf("Has(%q) = true", bad)
		}
	}
	if data, err := fs.ReadFile(FS, "autoconf/configure.yaml"); err != nil || len(data) == 0 {
		t.Errorf("ReadFile(FS, autoconf/configure.yaml) = %d bytes, %v", len(data), err)
	}
}

func TestDefinitionsStrict(t *testing.T) {
	for name, d := range loadAll(t) {
		if d.Name == "" {
			t.Errorf("%s: no name", name)
		}
		if len(d.Pipeline) == 0 {
			t.Errorf("%s: no pipeline steps", name)
		}
		for in, spec := range d.Inputs {
			if strings.TrimSpace(spec.Description) == "" {
				t.Errorf("%s: input %s has no description", name, in)
			}
			if spec.Required && spec.Default != "" {
				t.Errorf("%s: input %s is required but has a default", name, in)
			}
		}
		for i, s := range d.Pipeline {
			switch {
			case s.Runs == "" && s.Uses == "":
				t.Errorf("%s: step %d has neither runs nor uses", name, i+1)
			case s.Runs != "" && s.Uses != "":
				t.Errorf("%s: step %d has both runs and uses", name, i+1)
			case s.With != nil && s.Uses == "":
				t.Errorf("%s: step %d has with but no uses", name, i+1)
			}
			if s.Uses != "" && !Has(s.Uses) {
				t.Errorf("%s: step %d uses unknown pipeline %q", name, i+1, s.Uses)
			}
		}
	}
}

// Every default is written as a YAML string, so a decoder that reads
// defaults into strings and one that keeps nodes see the same text.
func TestDefaultsAreStrings(t *testing.T) {
	for _, name := range Names() {
		data, _ := fs.ReadFile(FS, File(name))
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inputs := mapValue(root.Content[0], "inputs")
		if inputs == nil {
			continue
		}
		for i := 0; i+1 < len(inputs.Content); i += 2 {
			if def := mapValue(inputs.Content[i+1], "default"); def != nil && def.Tag != "!!str" {
				t.Errorf("%s:%d: default of %s is %s %q; quote it", File(name), def.Line,
					inputs.Content[i].Value, def.Tag, def.Value)
			}
		}
	}
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// strings lists every text of d that substitution applies to, with a
// label for error messages.
func (d definition) texts() map[string]string {
	out := map[string]string{}
	for i, p := range d.Needs.Packages {
		out[fmt.Sprintf("needs.packages[%d]", i)] = p
	}
	for in, spec := range d.Inputs {
		out["inputs."+in+".default"] = spec.Default
	}
	for i, s := range d.Pipeline {
		at := fmt.Sprintf("pipeline[%d].", i)
		out[at+"name"] = s.Name
		out[at+"runs"] = s.Runs
		out[at+"if"] = s.If
		out[at+"working-directory"] = s.WorkingDirectory
		for k, v := range s.With {
			out[at+"with."+k] = v
		}
		for k, v := range s.Environment {
			out[at+"environment."+k] = v
		}
	}
	return out
}

func TestReferences(t *testing.T) {
	for name, d := range loadAll(t) {
		used := map[string]bool{}
		for where, text := range d.texts() {
			if strings.Count(text, "${{") != len(refRE.FindAllString(text, -1)) {
				t.Errorf("%s: %s: malformed ${{...}} reference", name, where)
			}
			for _, m := range refRE.FindAllStringSubmatch(text, -1) {
				ref := m[1]
				if in, ok := strings.CutPrefix(ref, "inputs."); ok {
					if _, declared := d.Inputs[in]; !declared {
						t.Errorf("%s: %s: ${{%s}} names an undeclared input", name, where, ref)
					}
					if !strings.HasPrefix(where, "inputs."+in+".") {
						used[in] = true
					}
					continue
				}
				if !knownVar(ref) {
					t.Errorf("%s: %s: ${{%s}} is not a build variable", name, where, ref)
				}
			}
		}
		for in := range d.Inputs {
			if !used[in] && !slices.Contains(unusedInputs[name], in) {
				t.Errorf("%s: input %s is declared but never used", name, in)
			}
		}
	}
}

// Every script parses as busybox ash, with each reference replaced by a
// plain word.
func TestScriptsParse(t *testing.T) {
	bb := busybox(t)
	for name, d := range loadAll(t) {
		for i, s := range d.Pipeline {
			if s.Runs == "" {
				continue
			}
			script := refRE.ReplaceAllString(s.Runs, "word")
			out, err := exec.Command(bb, "sh", "-n", "-c", script).CombinedOutput()
			if err != nil {
				t.Errorf("%s: step %d does not parse: %v\n%s", name, i+1, err, out)
			}
		}
	}
}

func busybox(t *testing.T) string {
	t.Helper()
	return fixture.NeedTool(t, "busybox")
}
