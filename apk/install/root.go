package install

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/apk/version"
)

// Existing is what a root already holds, as its apk database says.
type Existing struct {
	Packages     map[string]string // name -> version (lib/apk/db/installed)
	World        []string          // etc/apk/world
	Arch         string            // etc/apk/arch, "" when missing
	Repositories []string          // etc/apk/repositories, comments left out
	// Keys are the public keys of etc/apk/keys, by file name (PEM, not
	// parsed yet): the keys apk trusts in that root.
	Keys map[string][]byte
}

// maxRootFile bounds what ReadRoot reads of one database file.
const maxRootFile = 256 << 20

// maxRootKeys and maxRootKey bound what ReadRoot reads of etc/apk/keys:
// a PEM RSA public key is under 1 KiB.
const (
	maxRootKeys = 256
	maxRootKey  = 64 << 10
)

// ReadRoot returns what root already holds, or nil when it has no apk
// database (no lib/apk/db/installed). It reads through an os.Root, regular
// files only: a symlink in the root cannot make it read outside.
func ReadRoot(root string) (*Existing, error) {
	r, err := os.OpenRoot(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("install root: %w", err)
	}
	defer r.Close()
	installed, err := readRootFile(r, "lib/apk/db/installed")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ix, err := index.ParseTextIndex(bytes.NewReader(installed))
	if err != nil {
		return nil, fmt.Errorf("%s/lib/apk/db/installed: %w", root, err)
	}
	e := &Existing{Packages: map[string]string{}}
	for _, p := range ix.Packages {
		e.Packages[p.Name] = p.Version
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"etc/apk/world", &e.World}, {"etc/apk/repositories", &e.Repositories}} {
		data, err := readRootFile(r, f.name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				if f.dst == &e.World {
					*f.dst = append(*f.dst, strings.Fields(line)...)
				} else {
					*f.dst = append(*f.dst, line)
				}
			}
		}
	}
	if data, err := readRootFile(r, "etc/apk/arch"); err == nil {
		e.Arch = strings.TrimSpace(string(data))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if e.Keys, err = readRootKeys(r); err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	return e, nil
}

// readRootKeys reads the key files of r's etc/apk/keys: regular files
// only (a symlink or FIFO there is refused, not followed), each at most
// maxRootKey bytes, at most maxRootKeys of them.
func readRootKeys(r *os.Root) (map[string][]byte, error) {
	const dir = "etc/apk/keys"
	fi, err := r.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("install root: %s is not a directory", dir)
	}
	d, err := r.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(maxRootKeys + 1)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("install root: %s: %w", dir, err)
	}
	if len(ents) > maxRootKeys {
		return nil, fmt.Errorf("install root: %s holds over %d files, more than any keyring", dir, maxRootKeys)
	}
	keys := map[string][]byte{}
	for _, ent := range ents {
		name := dir + "/" + ent.Name()
		fi, err := r.Lstat(name)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("install root: %s is not a regular file", name)
		}
		if fi.Size() > maxRootKey {
			return nil, fmt.Errorf("install root: %s is over %d KiB, not a public key", name, maxRootKey>>10)
		}
		data, err := readRootFile(r, name)
		if err != nil {
			return nil, err
		}
		keys[ent.Name()] = data
	}
	return keys, nil
}

// readRootFile reads the regular file name of r, at most maxRootFile
// bytes.
func readRootFile(r *os.Root, name string) ([]byte, error) {
	fi, err := r.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("install root: %s is not a regular file", name)
	}
	f, err := r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRootFile+1))
	if err != nil {
		return nil, fmt.Errorf("install root: %s: %w", name, err)
	}
	if len(data) > maxRootFile {
		return nil, fmt.Errorf("install root: %s is over %d MiB", name, maxRootFile>>20)
	}
	return data, nil
}

// Add returns the world to resolve when world is added to the root, as
// apk add makes it: the root's world, where an entry of world for a name
// it already has takes that entry's place ("hello" becomes "hello=1.0-r0"),
// then the other entries of world.
func (e *Existing) Add(world []string) []string {
	out := slices.Clone(e.World)
	for _, w := range world {
		if i := slices.IndexFunc(out, func(o string) bool { return worldName(o) == worldName(w) }); i >= 0 {
			out[i] = w
		} else {
			out = append(out, w)
		}
	}
	return out
}

// worldName is the package a world entry is about ("hello" for
// "hello>=1", "!hello"); an entry that does not parse is its own name.
func worldName(w string) string {
	d, err := version.ParseDependency(w)
	if err != nil {
		return w
	}
	return d.Name
}

// addRepositories returns the root's repositories, then those of repos it
// does not list yet.
func (e *Existing) addRepositories(repos []string) []string { return union(e.Repositories, repos) }

// union returns a, then the elements of b that a lacks, in order.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Keeps checks that pkgs, the packages resolved for the root, hold every
// package the root has at the version it has: adding to a root neither
// upgrades nor removes a package.
func (e *Existing) Keeps(pkgs []*apk.PackageInfo) error {
	got := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		got[p.Name] = p.Version
	}
	var changed, pins []string
	for _, name := range slices.Sorted(maps.Keys(e.Packages)) {
		have := e.Packages[name]
		switch v, ok := got[name]; {
		case !ok:
			changed = append(changed, fmt.Sprintf("%s-%s (it would go)", name, have))
		case v != have:
			changed = append(changed, fmt.Sprintf("%s-%s (it would become %s)", name, have, v))
			pins = append(pins, name+"="+have)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	hint := ""
	if len(pins) > 0 {
		hint = "; to keep the versions it has, name them: " + strings.Join(pins, " ")
	}
	return fmt.Errorf("%w: %s%s", ErrWouldChange, strings.Join(changed, ", "), hint)
}

// ErrWouldChange is Keeps' error: adding to a root would upgrade or remove
// a package it has.
var ErrWouldChange = errors.New("pestle install adds packages to a root but does not upgrade or remove any, and this would change")

// New lists the packages of pkgs that the root does not have yet.
func (e *Existing) New(pkgs []*apk.PackageInfo) []*apk.PackageInfo {
	var out []*apk.PackageInfo
	for _, p := range pkgs {
		if e == nil || e.Packages[p.Name] != p.Version {
			out = append(out, p)
		}
	}
	return out
}
