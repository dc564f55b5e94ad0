package install

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
)

// Package is one package to install: its metadata (normally the index
// record, with Checksum set) and the path of its .apk file. A package with
// Size 0 is a meta package and may have no file.
type Package struct {
	Info *apk.PackageInfo
	Path string
}

// Options describe the root being assembled.
type Options struct {
	Arch         string            // written to etc/apk/arch
	World        []string          // written to etc/apk/world, sorted
	Repositories []string          // written to etc/apk/repositories
	Keys         map[string][]byte // key name -> PEM, written to etc/apk/keys/
	Logger       *slog.Logger      // nil: silent
}

// ErrConflict is wrapped by errors about two packages owning one file.
var ErrConflict = errors.New("file conflict")

// Install extracts pkgs, in order, into root (created if missing) and writes
// the package database. Each package's control member must match its index
// checksum and its data its datahash; files are never written outside root.
// Install scripts are recorded, not run.
func Install(ctx context.Context, root string, pkgs []Package, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("install root: %w", err)
	}
	owners := map[string]*record{}
	var recs []*record
	for _, p := range pkgs {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		rec, err := installOne(root, p, owners)
		if err != nil {
			// The refused package left nothing behind; the database
			// lists what is installed, the packages before it.
			if dbErr := writeDB(root, recs, opts); dbErr != nil {
				return errors.Join(err, dbErr)
			}
			return err
		}
		recs = append(recs, rec)
		log.Debug("installed", "package", rec.info.Name+"-"+rec.info.Version, "duration", time.Since(start))
	}
	return writeDB(root, recs, opts)
}

func installOne(root string, p Package, owners map[string]*record) (*record, error) {
	info := p.Info
	if p.Path == "" {
		if info == nil || info.Size != 0 {
			return nil, fmt.Errorf("install: package %s has no file", describe(info))
		}
		return newRecord(info), nil
	}
	f, err := fsutil.OpenRegular(p.Path)
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	defer f.Close()
	var expect []byte
	if info != nil {
		expect = info.Checksum
	}
	rec := newRecord(info)
	checksums := map[string][]byte{}
	var entries []apk.Entry
	undo := &apk.Undo{}
	pkg, err := apk.Read(f, apk.ReadOptions{
		ExpectChecksum: expect,
		ExtractTo:      root,
		Source:         p.Path,
		Undo:           undo,
		OnEntry: func(e apk.Entry) error {
			if onDisk(e) {
				entries = append(entries, e)
			}
			return nil
		},
	})
	if err == nil {
		err = claim(rec, pkg, info, entries, checksums, owners)
	}
	if err != nil {
		if uerr := undo.Rollback(); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return nil, fmt.Errorf("install %s: %w", p.Path, err)
	}
	if err := undo.Commit(); err != nil {
		return nil, fmt.Errorf("install %s: %w", p.Path, err)
	}
	return rec, nil
}

// onDisk reports whether the extractor writes e: names starting with "."
// (and hard links to them) are not installed, as in apk-tools.
func onDisk(e apk.Entry) bool {
	return !strings.HasPrefix(e.Name, ".") && !(e.Type == tar.TypeLink && strings.HasPrefix(e.Linkname, "."))
}

// claim completes rec from the package read and records its files as
// its own, refusing a file another package owns unless it may replace
// it. owners is changed only when the whole package is accepted.
func claim(rec *record, pkg *apk.Package, info *apk.PackageInfo, entries []apk.Entry, checksums map[string][]byte, owners map[string]*record) error {
	if info == nil {
		rec.info = pkg.Info
	} else {
		// Replaces, replaces_priority and triggers are only in .PKGINFO.
		merged := *info
		merged.Replaces = pkg.Info.Replaces
		merged.ReplacesPriority = pkg.Info.ReplacesPriority
		merged.Triggers = pkg.Info.Triggers
		if merged.FileSize == 0 {
			merged.FileSize = pkg.Info.FileSize
		}
		rec.info = &merged
	}
	for _, e := range entries {
		if e.Type == tar.TypeDir {
			continue
		}
		name := strings.Trim(e.Name, "/")
		if prev, ok := owners[name]; ok && prev != rec && !mayReplace(rec, prev) {
			return fmt.Errorf("%w: %s is in both %s and %s: add %q to the replaces of %s",
				ErrConflict, name, describe(prev.info), describe(rec.info), prev.info.Name, rec.info.Name)
		}
	}
	for _, e := range entries {
		if e.Type != tar.TypeDir {
			name := strings.Trim(e.Name, "/")
			if prev, ok := owners[name]; ok && prev != rec {
				prev.drop(name)
			}
			owners[name] = rec
		}
		rec.add(e, checksums)
	}
	for name, body := range pkg.Control {
		for _, s := range scriptNames {
			if name == s {
				rec.scripts[name] = body
			}
		}
	}
	return nil
}

// mayReplace reports whether rec may overwrite a file of prev: same origin,
// or prev is named in rec's replaces.
func mayReplace(rec, prev *record) bool {
	if rec.info == nil || prev.info == nil {
		return false
	}
	if rec.info.Origin != "" && rec.info.Origin == prev.info.Origin {
		return true
	}
	for _, r := range rec.info.Replaces {
		name, _, _ := strings.Cut(r, "=")
		if strings.TrimLeft(name, "!") == prev.info.Name {
			return true
		}
	}
	return false
}

func describe(p *apk.PackageInfo) string {
	if p == nil {
		return "(unknown package)"
	}
	return p.Name + "-" + p.Version
}

// writeDB writes the database files through an os.Root so that a symlink a
// package placed (say lib -> /) cannot redirect them outside root.
func writeDB(root string, recs []*record, opts Options) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("install root: %w", err)
	}
	defer r.Close()
	scripts, err := scriptsTar(recs)
	if err != nil {
		return err
	}
	installed, err := installedText(recs)
	if err != nil {
		return err
	}
	world := append([]string(nil), opts.World...)
	sort.Strings(world)
	files := []struct {
		name string
		data []byte
		mode fs.FileMode
	}{
		{"lib/apk/db/installed", installed, 0o644},
		{"lib/apk/db/scripts.tar", scripts, 0o644},
		{"lib/apk/db/triggers", triggersText(recs), 0o644},
		{"lib/apk/db/lock", nil, 0o600},
		{"etc/apk/world", lines(world), 0o644},
		{"etc/apk/repositories", lines(opts.Repositories), 0o644},
	}
	if opts.Arch != "" {
		files = append(files, struct {
			name string
			data []byte
			mode fs.FileMode
		}{"etc/apk/arch", []byte(opts.Arch + "\n"), 0o644})
	}
	for _, f := range files {
		if err := writeFile(r, f.name, f.data, f.mode); err != nil {
			return err
		}
	}
	if err := r.MkdirAll("etc/apk/keys", 0o755); err != nil {
		return fmt.Errorf("install: etc/apk/keys: %w", err)
	}
	names := make([]string, 0, len(opts.Keys))
	for n := range opts.Keys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.ContainsAny(n, "/\\") || n == "." || n == ".." || n == "" {
			return fmt.Errorf("install: bad key name %q", n)
		}
		if err := writeFile(r, "etc/apk/keys/"+n, opts.Keys[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(r *os.Root, name string, data []byte, mode fs.FileMode) error {
	if err := r.MkdirAll(path.Dir(name), 0o755); err != nil {
		return fmt.Errorf("install: %s: %w", path.Dir(name), err)
	}
	tmp := name + ".pestle-new"
	if err := r.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("install: %s: %w", name, err)
	}
	if err := r.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("install: %s: %w", name, err)
	}
	if err := r.Rename(tmp, name); err != nil {
		return fmt.Errorf("install: %s: %w", name, err)
	}
	return nil
}

func lines(items []string) []byte {
	if len(items) == 0 {
		return nil
	}
	return []byte(strings.Join(items, "\n") + "\n")
}
