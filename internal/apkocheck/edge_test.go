package apkocheck

import (
	"strings"
	"testing"
	"time"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
	apkofs "chainguard.dev/apko/pkg/apk/fs"
)

// edgeSample is a one-package repository content named pestle-edge.
func edgeSample(tree []Node) *Sample {
	s := &Sample{Tree: tree}
	s.Info.Name, s.Info.Version, s.Info.Arch = "pestle-edge", "1.0-r0", hostArch()
	s.Info.Description = "pestle acceptance: edge case"
	return s
}

// TestApkoEdgeCases packs unusual but valid trees and key names and has
// apko install them. Cases apk-tools accepts but apko refuses are pinned
// with apko's exact message, so that a change on either side shows up.
func TestApkoEdgeCases(t *testing.T) {
	long := strings.Repeat("abcdefghij", 12) // 120 bytes: PAX path and linkpath
	cases := []struct {
		name    string
		tree    []Node
		keyName string
		want    string // "" means installed; else a substring of apko's error
	}{
		{name: "empty package", tree: nil},
		{name: "top-level file", tree: []Node{
			{Path: "etc", Kind: Dir, Mode: 0o755},
			{Path: "etc/x", Kind: File, Mode: 0o644, Body: []byte("x\n")},
			{Path: "topfile", Kind: File, Mode: 0o644, Body: []byte("top\n")},
		}},
		{name: "names and link targets over 100 bytes", tree: []Node{
			{Path: "usr", Kind: Dir, Mode: 0o755},
			{Path: "usr/" + long, Kind: Dir, Mode: 0o755},
			{Path: "usr/" + long + "/" + long, Kind: File, Mode: 0o644, Body: []byte("long\n")},
			{Path: "usr/" + long + "/link", Kind: Symlink, Target: "/usr/" + long + "/" + long},
		}},
		// apk-tools installs named pipes; apko's installer does not.
		{name: "named pipe", tree: []Node{
			{Path: "run", Kind: Dir, Mode: 0o755},
			{Path: "run/fifo", Kind: FIFO, Mode: 0o600},
		}, want: "unsupported file type run/fifo 54"},
		// apk-tools takes any key name; apko only names ending in .rsa.pub
		// (the name pestle derives from a key file called pestle.pem).
		{name: "key name without .rsa.pub", tree: []Node{{Path: "etc", Kind: Dir, Mode: 0o755}},
			keyName: "pestle.pem.pub", want: "failed to find key name in signature file name: .SIGN.RSA256.pestle.pem.pub"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := edgeSample(c.tree)
			r, err := BuildRepository(t.TempDir(), hostArch(), testKey(t), []*Sample{s}, RepoOptions{KeyName: c.keyName})
			if err != nil {
				t.Fatalf("pestle: %v", err)
			}
			ctx, rec := apkoContext(t)
			fsys := apkofs.NewMemFS()
			a, err := apkoapk.New(ctx, apkoapk.WithFS(fsys), apkoapk.WithArch(r.Arch), apkoapk.WithIgnoreMknodErrors(true))
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []func() error{
				func() error { return a.InitDB(ctx) },
				func() error { return a.InitKeyring(ctx, []string{r.KeyPath}, nil) },
				func() error { return a.SetRepositories(ctx, []string{r.Dir}) },
				func() error { return a.SetWorld(ctx, []string{s.Info.Name}) },
			} {
				if err := step(); err != nil {
					t.Fatal(err)
				}
			}
			sde := time.Unix(SourceDateEpoch, 0)
			_, err = a.FixateWorld(ctx, &sde)
			if c.want != "" {
				rec.allowWarnings()
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("apko: %v, want an error containing %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("apko refused: %v", err)
			}
			checkTree(t, "apko memfs root", fsys, r.Samples, dirPerm)
			db, err := fsys.ReadFile("usr/lib/apk/db/installed")
			if err != nil {
				t.Fatal(err)
			}
			raw := parseRawDB(t, "apko's installed db", db)
			diffEntries(t, "apko's installed db", s.Info.Name, raw.entries[s.Info.Name], sampleEntries(s))
		})
	}
}
