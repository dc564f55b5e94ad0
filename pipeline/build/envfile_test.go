package build

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

func TestReadEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "build.env")
	write(t, path, "# comment\n\nA=1\nexport B = two words\nC=\"quoted # not a comment\"\nD='single'\nE=\n", 0o644)
	env, err := readEnvFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "quoted # not a comment", "D": "single", "E": ""}
	if len(env) != len(want) {
		t.Errorf("got %v, want %v", env, want)
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	write(t, path, "A=1\nnot a pair\n", 0o644)
	if _, err := readEnvFile(path); err == nil || !strings.Contains(err.Error(), "build.env:2") {
		t.Errorf("bad line: %v, want an error naming build.env:2", err)
	}
}

func TestBuildEnvFileUnderRecipeEnvironment(t *testing.T) {
	recipe := busyboxRecipe("envs") + `  environment:
    SHARED: from-recipe
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/etc
      echo "$FROM_FILE $SHARED" > ${{targets.destdir}}/etc/envs
`
	tb := newTestBuild(t, recipe)
	tb.opts.EnvFile = filepath.Join(t.TempDir(), "build.env")
	write(t, tb.opts.EnvFile, "FROM_FILE=from-file\nSHARED=from-file\n", 0o644)
	res, err := tb.run(t)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{ExtractTo: dir}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "etc/envs"))
	if string(got) != "from-file from-recipe\n" {
		t.Errorf("step saw %q, want the file's variable and the recipe's value winning", got)
	}
}
