package apkocheck

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
	apkofs "chainguard.dev/apko/pkg/apk/fs"

	"github.com/pestle-dev/pestle/apk/install"
	"github.com/pestle-dev/pestle/apk/repo"
)

// apkoRoot is a root apko assembled in memory from a repository.
type apkoRoot struct {
	fs        apkofs.FullFS
	apk       *apkoapk.APK
	installed []*apkoapk.InstalledPackage
	db        []byte // usr/lib/apk/db/installed as apko wrote it
}

// apkoInstall has apko initialise an empty in-memory root, trust the
// repository key, resolve world against pestle's signed index and install
// the result, then read back the database it wrote.
func apkoInstall(t *testing.T, r *Repository, fsys apkofs.FullFS, world ...string) *apkoRoot {
	t.Helper()
	ctx, _ := apkoContext(t)
	a, err := apkoapk.New(ctx, apkoapk.WithFS(fsys), apkoapk.WithArch(r.Arch), apkoapk.WithIgnoreMknodErrors(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InitDB(ctx); err != nil {
		t.Fatalf("apko InitDB: %v", err)
	}
	if err := a.InitKeyring(ctx, []string{r.KeyPath}, nil); err != nil {
		t.Fatalf("apko InitKeyring: %v", err)
	}
	if err := a.SetRepositories(ctx, []string{r.Dir}); err != nil {
		t.Fatal(err)
	}
	if err := a.SetWorld(ctx, world); err != nil {
		t.Fatal(err)
	}
	sde := time.Unix(SourceDateEpoch, 0)
	if _, err := a.FixateWorld(ctx, &sde); err != nil {
		t.Fatalf("apko could not install %v from pestle's repository: %v", world, err)
	}
	installed, err := a.GetInstalled()
	if err != nil {
		t.Fatalf("apko cannot read back its installed database: %v", err)
	}
	db, err := fsys.ReadFile("usr/lib/apk/db/installed")
	if err != nil {
		t.Fatal(err)
	}
	return &apkoRoot{fs: fsys, apk: a, installed: installed, db: db}
}

// pestleInstall has pestle's own installer assemble a root on disk from
// the same repository (index verified with the same key).
func pestleInstall(t *testing.T, r *Repository, world ...string) string {
	t.Helper()
	ctx := t.Context()
	sel, err := install.Select(ctx, install.Request{
		World:        world,
		Repositories: []string{r.Dir},
		Keyring:      []string{r.KeyPath},
		Repo:         repo.Options{Arch: r.Arch, CacheDir: t.TempDir()},
	})
	if err != nil {
		t.Fatalf("pestle resolve: %v", err)
	}
	root := t.TempDir()
	if err := sel.Install(ctx, root, r.Arch); err != nil {
		t.Fatalf("pestle install: %v", err)
	}
	return root
}

func byName(pkgs []*apkoapk.InstalledPackage) map[string]*apkoapk.InstalledPackage {
	out := map[string]*apkoapk.InstalledPackage{}
	for _, p := range pkgs {
		out[p.Name] = p
	}
	return out
}

// TestApkoInstallsRepository: apko resolves pestle-app against pestle's
// index (a versioned name dependency, a so: and a cmd: provider), installs
// the three packages with every file, link and mode, and its own database
// lists every path with the right mode and checksum.
func TestApkoInstallsRepository(t *testing.T) {
	t.Run("memfs", func(t *testing.T) {
		r := newRepo(t, RepoOptions{})
		root := apkoInstall(t, r, apkofs.NewMemFS(), "pestle-app")
		checkTree(t, "apko memfs root", root.fs, r.Samples, dirPerm)
		checkApkoDB(t, r, root)
	})
	t.Run("dirfs", func(t *testing.T) {
		r := newRepo(t, RepoOptions{})
		dir := t.TempDir()
		ctx, _ := apkoContext(t)
		root := apkoInstall(t, r, apkofs.DirFS(ctx, dir), "pestle-app")
		checkTree(t, "apko directory root", osRoot(dir), r.Samples, dirNone)
		checkApkoDB(t, r, root)
	})
}

func checkApkoDB(t *testing.T, r *Repository, root *apkoRoot) {
	t.Helper()
	got := byName(root.installed)
	if len(got) != len(r.Samples) {
		t.Errorf("apko installed %v, want the %d sample packages", slices.Sorted(maps.Keys(got)), len(r.Samples))
	}
	for i, s := range r.Samples {
		p, ok := got[s.Info.Name]
		if !ok {
			t.Errorf("apko did not install %s", s.Info.Name)
			continue
		}
		comparePackage(t, "apko's installed db", &p.Package, r.Packages[i])
		diffPaths(t, "apko's installed db", s.Info.Name, parsedPaths(p), pathsOf(sampleEntries(s)))
	}
	raw := parseRawDB(t, "apko's installed db", root.db)
	for _, s := range r.Samples {
		diffEntries(t, "apko's installed db", s.Info.Name, raw.entries[s.Info.Name], sampleEntries(s))
	}
	wantZ, hard := sampleZ(r.Samples)
	for k, z := range raw.z {
		if wantZ[k] != z {
			t.Errorf("apko's installed db: %s has Z:%s, want %s", k, z, wantZ[k])
		}
	}
	for k := range wantZ {
		if _, ok := raw.z[k]; !ok && !hard[k] { // apko writes no Z: for hard links
			t.Errorf("apko's installed db: %s has no Z: line", k)
		}
	}
}

// TestApkoReadsPestleInstalledDB: apko's installed-database parser reads the
// lib/apk/db/installed that pestle's installer writes, with the same
// packages, fields, paths, modes and checksums as the database apko writes
// itself for the same repository; scripts.tar and triggers agree too, and
// both roots hold the same tree.
func TestApkoReadsPestleInstalledDB(t *testing.T) {
	r := newRepo(t, RepoOptions{})
	apko := apkoInstall(t, r, apkofs.NewMemFS(), "pestle-app")
	root := pestleInstall(t, r, "pestle-app")
	checkTree(t, "pestle root", osRoot(root), r.Samples, dirFull)

	db, err := os.ReadFile(filepath.Join(root, "lib", "apk", "db", "installed"))
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := apkoapk.ParseInstalled(bytes.NewReader(db))
	if err != nil {
		t.Fatalf("apko rejects pestle's installed db: %v", err)
	}
	mine, theirs := byName(parsed), byName(apko.installed)
	if !slices.Equal(slices.Sorted(maps.Keys(mine)), slices.Sorted(maps.Keys(theirs))) {
		t.Errorf("pestle installed %v, apko installed %v", slices.Sorted(maps.Keys(mine)), slices.Sorted(maps.Keys(theirs)))
	}
	for i, s := range r.Samples {
		p, ok := mine[s.Info.Name]
		if !ok {
			t.Errorf("apko finds no %s in pestle's installed db", s.Info.Name)
			continue
		}
		comparePackage(t, "pestle's installed db", &p.Package, r.Packages[i])
		diffPaths(t, "pestle's installed db", s.Info.Name, parsedPaths(p), pathsOf(sampleEntries(s)))
	}
	raw := parseRawDB(t, "pestle's installed db", db)
	theirRaw := parseRawDB(t, "apko's installed db", apko.db)
	for _, s := range r.Samples {
		diffEntries(t, "pestle's installed db", s.Info.Name, raw.entries[s.Info.Name], sampleEntries(s))
		diffEntries(t, "pestle's vs apko's installed db", s.Info.Name, raw.entries[s.Info.Name], theirRaw.entries[s.Info.Name])
	}
	wantZ, _ := sampleZ(r.Samples)
	for k, z := range raw.z {
		if wantZ[k] != z {
			t.Errorf("pestle's installed db: %s has Z:%s, want %s", k, z, wantZ[k])
		}
	}
	for k := range wantZ {
		if _, ok := raw.z[k]; !ok {
			t.Errorf("pestle's installed db: %s has no Z: line", k)
		}
	}

	// scripts.tar: same entries (name with Q1 checksum, body) either way.
	apkoScripts, err := apko.fs.ReadFile("usr/lib/apk/db/scripts.tar")
	if err != nil {
		t.Fatal(err)
	}
	pestleScripts, err := os.ReadFile(filepath.Join(root, "lib", "apk", "db", "scripts.tar"))
	if err != nil {
		t.Fatal(err)
	}
	if a, p := tarMembers(t, apkoScripts), tarMembers(t, pestleScripts); !maps.Equal(a, p) {
		t.Errorf("scripts.tar differs:\napko:   %q\npestle: %q", slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(p)))
	}
	apkoTriggers, err := apko.fs.ReadFile("usr/lib/apk/db/triggers")
	if err != nil {
		t.Fatal(err)
	}
	pestleTriggers, err := os.ReadFile(filepath.Join(root, "lib", "apk", "db", "triggers"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(apkoTriggers, pestleTriggers) || !strings.Contains(string(pestleTriggers), " /usr/share/pestle/hooks\n") {
		t.Errorf("triggers differ:\napko:   %q\npestle: %q", apkoTriggers, pestleTriggers)
	}
}
