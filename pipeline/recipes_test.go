package pipeline

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/recipes")

// recipesDir finds testdata/recipes by walking up to the directory that
// holds go.mod, and returns it relative to the package directory so that
// paths in golden files do not depend on the checkout location.
func recipesDir(t testing.TB) string {
	t.Helper()
	rel := "."
	for i := 0; i < 10; i++ {
		if _, err := os.Stat(filepath.Join(rel, "go.mod")); err == nil {
			return filepath.Join(rel, "testdata", "recipes")
		}
		rel = filepath.Join(rel, "..")
	}
	t.Fatal("go.mod not found above the package directory")
	return ""
}

// recipeOptions reads "# compile: --arch A --build-option O --vars-file F"
// header lines of a test recipe. The default arch is x86_64 (not the host's)
// so that goldens are the same everywhere.
func recipeOptions(t *testing.T, file string) CompileOptions {
	t.Helper()
	opts := CompileOptions{Arch: "x86_64"}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "# compile:")
		if !ok {
			if strings.HasPrefix(sc.Text(), "#") {
				continue
			}
			break
		}
		args := strings.Fields(line)
		for i := 0; i+1 < len(args); i += 2 {
			switch v := args[i+1]; args[i] {
			case "--arch":
				opts.Arch = v
			case "--build-option":
				opts.BuildOptions = append(opts.BuildOptions, v)
			case "--vars-file":
				opts.VarsFile = filepath.Join(filepath.Dir(file), v)
			case "--pipeline-dir":
				opts.PipelineDirs = append(opts.PipelineDirs, filepath.Join(filepath.Dir(file), v))
			default:
				t.Fatalf("%s: unknown compile option %q", file, args[i])
			}
		}
	}
	return opts
}

// compileFile loads and compiles one test recipe the way the goldens expect.
func compileFile(t *testing.T, dir, file string) (*Plan, error) {
	opts := recipeOptions(t, file)
	opts.PipelineDirs = append(opts.PipelineDirs, filepath.Join(dir, "pipelines"))
	r, err := Load(file, LoadOptions{DisplayName: filepath.Base(file)})
	if err != nil {
		return nil, err
	}
	return Compile(r, opts)
}

// TestRecipesOK compiles every testdata/recipes/ok/NAME.yaml and compares
// the plan with NAME.plan.json.
func TestRecipesOK(t *testing.T) {
	dir := recipesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "ok", "*.yaml"))
	var recipes []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".vars.yaml") {
			recipes = append(recipes, f)
		}
	}
	if len(recipes) < 40 {
		t.Errorf("only %d recipes in %s/ok, want at least 40", len(recipes), dir)
	}
	for _, f := range recipes {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			plan, err := compileFile(t, dir, f)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got, err := plan.JSON()
			if err != nil {
				t.Fatal(err)
			}
			fixture.Golden(t, strings.TrimSuffix(f, ".yaml")+".plan.json", got, *update)
		})
	}
}

// TestRecipesBad checks that every testdata/recipes/bad/NAME.yaml fails with
// exactly the errors of NAME.err.
func TestRecipesBad(t *testing.T) {
	dir := recipesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "bad", "*.yaml"))
	var recipes []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".vars.yaml") {
			recipes = append(recipes, f)
		}
	}
	if len(recipes) < 20 {
		t.Errorf("only %d recipes in %s/bad, want at least 20", len(recipes), dir)
	}
	for _, f := range recipes {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := compileFile(t, dir, f)
			if err == nil {
				t.Fatal("compiled without error; a bad recipe must fail")
			}
			fixture.Golden(t, strings.TrimSuffix(f, ".yaml")+".err", []byte(err.Error()+"\n"), *update)
		})
	}
}
