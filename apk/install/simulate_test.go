package install

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestPlanFromFixtureRepository(t *testing.T) {
	cache := t.TempDir()
	repoDir := fixture.Path(t, "melange-repo")
	sel, err := Select(context.Background(), Request{
		World:        []string{"replayout"},
		Repositories: []string{repoDir},
		Keyring:      []string{fixture.Path(t, "melange-repo", "melange.rsa.pub")},
		Repo:         repo.Options{Arch: "x86_64", CacheDir: cache},
	})
	if err != nil {
		t.Fatal(err)
	}
	plan := sel.Plan()
	if len(plan) != 2 {
		t.Fatalf("plan %+v, want 2 packages", plan)
	}
	for i, p := range sel.Packages {
		want := Planned{Name: p.Name, Version: p.Version, Arch: "x86_64", Repository: repoDir, Size: p.FileSize, InstalledSize: p.Size}
		if plan[i] != want {
			t.Errorf("plan[%d] = %+v, want %+v", i, plan[i], want)
		}
		if p.FileSize <= 0 {
			t.Errorf("%s: no S: size in the index", p.Name)
		}
	}
	want := []string{
		"(1/2) Installing pretend-baselayout (1.0.0-r0)",
		"(2/2) Installing replayout (1.0.0-r0)",
	}
	if got := SimulateLines(plan); !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
	// Selecting and planning fetch no package.
	if ents, err := os.ReadDir(cache); err != nil || len(ents) != 0 {
		t.Errorf("the cache holds %v (%v) after a simulation", ents, err)
	}
}
