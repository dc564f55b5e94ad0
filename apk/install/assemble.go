package install

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/apk/resolve"
	"github.com/pestle-dev/pestle/keys"
)

// Request is what to install from where: `apk add --root --initdb` in
// one value.
type Request struct {
	// World are the constraints to satisfy ("busybox", "go>=1.22",
	// "so:libc.so.6", "!foo").
	World []string
	// Repositories are searched in order (dirs, file:// or http(s) URLs).
	Repositories []string
	// Keyring entries are key files, directories of keys or key URLs.
	Keyring []string
	// Keys are trusted too: PEM public keys by name (a root's
	// etc/apk/keys, Existing.Keys).
	Keys map[string][]byte
	// AllowUntrusted accepts unsigned or untrusted indexes.
	AllowUntrusted bool
	// Repo supplies the architecture, cache, HTTP client, progress and
	// logger of the repositories (its Keyring and AllowUntrusted are set
	// from the fields above).
	Repo repo.Options
}

// Selection is a resolved request: the packages to install, in order, and
// where to fetch each from.
type Selection struct {
	Packages []*apk.PackageInfo
	Keyring  *keys.Keyring
	// Existing is what the root already holds, nil for a new root: Install
	// then keeps the root's repositories besides the request's.
	Existing *Existing
	req      Request
	from     map[*apk.PackageInfo]*repo.Repository
}

// Select loads the keyring and every repository's verified index and
// resolves the world. An unsatisfiable world is a *resolve.Error that says
// which package needs what and what was available.
func Select(ctx context.Context, req Request) (*Selection, error) {
	if len(req.World) == 0 {
		return nil, errors.New("nothing to install: name at least one package")
	}
	if len(req.Repositories) == 0 {
		return nil, fmt.Errorf("no repository to install %v from: pass -r DIR|URL", req.World)
	}
	kr, err := repo.LoadKeyring(ctx, req.Keyring, req.Repo)
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(req.Keys)) {
		// A file there that is no key is passed over, as apk does.
		if err := kr.AddPEM(name, req.Keys[name]); err != nil && req.Repo.Logger != nil {
			req.Repo.Logger.Warn("not a public key in the root's etc/apk/keys: ignored", "file", name, "err", err)
		}
	}
	ropts := req.Repo
	ropts.Keyring = kr
	ropts.AllowUntrusted = req.AllowUntrusted
	sel := &Selection{Keyring: kr, req: req, from: map[*apk.PackageInfo]*repo.Repository{}}
	var lists [][]*apk.PackageInfo
	for _, u := range req.Repositories {
		r, err := repo.Open(ctx, u, ropts)
		if err != nil {
			return nil, err
		}
		ix, err := r.Index(ctx)
		if err != nil {
			return nil, err
		}
		usable := make([]*apk.PackageInfo, 0, len(ix.Packages))
		for _, p := range ix.Packages {
			// A record with field letters apk does not know is
			// uninstallable, as in apk-tools.
			if why, bad := ix.Uninstallable[p]; bad {
				if l := ropts.Logger; l != nil {
					l.Debug("skipping uninstallable index record", "package", p.Name+"-"+p.Version, "unknown", why)
				}
				continue
			}
			sel.from[p] = r
			usable = append(usable, p)
		}
		lists = append(lists, usable)
	}
	sol, err := resolve.Resolve(req.World, lists, resolve.Options{Arch: ropts.Arch, Logger: ropts.Logger})
	if err != nil {
		return nil, err
	}
	sel.Packages = sol.Packages
	return sel, nil
}

// absolute returns repos with each relative directory made absolute: the
// root's etc/apk/repositories must name the same repositories from
// wherever pestle install adds to it later.
func absolute(repos []string) ([]string, error) {
	out := make([]string, len(repos))
	for i, r := range repos {
		out[i] = r
		if !strings.Contains(r, "://") && !filepath.IsAbs(r) {
			abs, err := filepath.Abs(r)
			if err != nil {
				return nil, err
			}
			out[i] = abs
		}
	}
	return out, nil
}

// Install fetches (verified, cached) every selected package and installs
// them into root with the database, world, arch, repositories and keys.
func (s *Selection) Install(ctx context.Context, root string, arch string) error {
	log := s.req.Repo.Logger
	pkgs := make([]Package, 0, len(s.Packages))
	for _, p := range s.Packages {
		start := time.Now()
		path, err := s.from[p].Fetch(ctx, p)
		if err != nil {
			return err
		}
		if log != nil {
			log.Debug("fetched", "package", p.Name+"-"+p.Version, "took", time.Since(start))
		}
		pkgs = append(pkgs, Package{Info: p, Path: path})
	}
	pems := map[string][]byte{}
	for _, name := range s.Keyring.Names() {
		pub, _ := s.Keyring.Lookup(name)
		pem, err := keys.EncodePublic(pub)
		if err != nil {
			return err
		}
		pems[name] = pem
	}
	repos, err := absolute(s.req.Repositories)
	if err != nil {
		return err
	}
	if s.Existing != nil {
		repos = s.Existing.addRepositories(repos)
	}
	return Install(ctx, root, pkgs, Options{
		Arch: arch, World: s.req.World, Repositories: repos, Keys: pems, Logger: log,
	})
}
