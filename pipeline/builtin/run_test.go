package builtin

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"gopkg.in/yaml.v3"
)

// sandbox runs built-in pipelines the way a build does, minus the
// isolation: each step is `sh -c` of busybox, with `set -eo pipefail`,
// in a workspace laid out like /home/build, with a PATH that holds only
// busybox applets plus the tools a test adds. Substitution here is a
// small stand-in for package pipeline's: enough to run the scripts.
type sandbox struct {
	t     *testing.T
	ws    string // workspace: package.srcdir, HOME
	main  string // main package name
	bin   string // busybox applets
	extra string // host tools a test adds
	path  []string
	env   []string
}

func newSandbox(t *testing.T, main string) *sandbox {
	t.Helper()
	bb := busybox(t)
	root := t.TempDir()
	s := &sandbox{
		t:     t,
		ws:    filepath.Join(root, "home", "build"),
		main:  main,
		bin:   filepath.Join(root, "bin"),
		extra: filepath.Join(root, "extra"),
	}
	for _, d := range []string{s.ws, s.bin, s.extra, filepath.Join(root, "tmp"), s.pkgdir(main)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	list, err := exec.Command(bb, "--list").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, applet := range strings.Fields(string(list)) {
		if err := os.Symlink(bb, filepath.Join(s.bin, applet)); err != nil {
			t.Fatal(err)
		}
	}
	s.env = []string{"HOME=" + s.ws, "TMPDIR=" + filepath.Join(root, "tmp"), "SOURCE_DATE_EPOCH=1700000000"}
	return s
}

// tool makes a host program available to the scripts, or skips the test.
func (s *sandbox) tool(name string) {
	s.t.Helper()
	p := fixture.NeedTool(s.t, name)
	if err := os.Symlink(p, filepath.Join(s.extra, name)); err != nil && !os.IsExist(err) {
		s.t.Fatal(err)
	}
}

// pkgdir is where package name's files go (targets.package.<name>).
func (s *sandbox) pkgdir(name string) string {
	return filepath.Join(s.ws, "melange-out", name)
}

// vars are the build variables while building package ctx.
func (s *sandbox) vars(ctx string) map[string]string {
	v := map[string]string{
		"package.name":         s.main,
		"package.version":      "1.2.3",
		"package.epoch":        "4",
		"package.full-version": "1.2.3-r4",
		"package.description":  "test package",
		"package.srcdir":       s.ws,
		"targets.outdir":       filepath.Join(s.ws, "melange-out"),
		"targets.destdir":      s.pkgdir(s.main),
		"targets.contextdir":   s.pkgdir(ctx),
		"context.name":         ctx,
		"build.arch":           "x86_64",
		"build.goarch":         "amd64",
		"host.triplet.gnu":     "x86_64-pc-linux-gnu",
		"host.triplet.rust":    "x86_64-unknown-linux-gnu",
	}
	if ctx != s.main {
		v["targets.subpkgdir"] = s.pkgdir(ctx)
		v["subpkg.name"] = ctx
	}
	return v
}

func substitute(text string, vars map[string]string) (string, error) {
	var bad error
	out := refRE.ReplaceAllStringFunc(text, func(m string) string {
		name := refRE.FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok && bad == nil {
			bad = fmt.Errorf("variable %s not defined", name)
		}
		return v
	})
	return out, bad
}

// run runs pipeline name for package ctx with the given inputs and
// returns its combined output; the error includes the output.
func (s *sandbox) run(name, ctx string, with map[string]string) (string, error) {
	s.t.Helper()
	data, err := fs.ReadFile(FS, File(name))
	if err != nil {
		s.t.Fatal(err)
	}
	var d definition
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		s.t.Fatal(err)
	}
	vars := s.vars(ctx)
	for k := range with {
		if _, ok := d.Inputs[k]; !ok {
			s.t.Fatalf("%s: undefined input %q", name, k)
		}
	}
	for k, spec := range d.Inputs {
		v := with[k]
		if v == "" {
			v = spec.Default
		}
		if v, err = substitute(v, vars); err != nil {
			s.t.Fatalf("%s: input %s: %v", name, k, err)
		}
		if spec.Required && v == "" {
			return "", fmt.Errorf("%s: required input %q is empty", name, k)
		}
		vars["inputs."+k] = v
	}
	var out bytes.Buffer
	for i, st := range d.Pipeline {
		script, err := substitute(st.Runs, vars)
		if err != nil {
			s.t.Fatalf("%s: step %d: %v", name, i+1, err)
		}
		wd, err := substitute(st.WorkingDirectory, vars)
		if err != nil {
			s.t.Fatalf("%s: step %d: %v", name, i+1, err)
		}
		if wd == "" {
			wd = s.ws
		} else if !filepath.IsAbs(wd) {
			wd = filepath.Join(s.ws, wd)
		}
		full := "set -eo pipefail\nmkdir -p '" + wd + "'\ncd '" + wd + "'\n" + script + "\nexit 0\n"
		cmd := exec.Command(filepath.Join(s.bin, "sh"), "-c", full)
		cmd.Dir = s.ws
		cmd.Env = append([]string{"PATH=" + strings.Join(append([]string{s.bin, s.extra}, s.path...), ":")}, s.env...)
		cmd.Stdout = &out
		cmd.Stderr = &out
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("%s: step %d: %v\n%s", name, i+1, err, out.String())
		}
	}
	return out.String(), nil
}

// mustRun is run that fails the test on error.
func (s *sandbox) mustRun(name, ctx string, with map[string]string) string {
	s.t.Helper()
	out, err := s.run(name, ctx, with)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// write creates the files of a tree: a value starting with "-> " makes a
// symlink, a name ending in "/" a directory; others are file contents.
func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "-> "); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o755)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// tree lists the files and symlinks under dir, sorted, symlinks as
// "name -> target"; a missing dir is empty.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			rel += " -> " + target
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func wantTree(t *testing.T, dir string, want ...string) {
	t.Helper()
	sort.Strings(want)
	got := tree(t, dir)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got: %q\nwant: %q", dir, got, want)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
