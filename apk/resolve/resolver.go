package resolve

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
	"github.com/pestle-dev/pestle/internal/typo"
)

// Options tune a Resolver. The zero value is ready to use.
type Options struct {
	// Arch, if set, keeps out packages whose A: is another architecture
	// (packages with no arch or "noarch" stay).
	Arch string
	// MaxBacktracks bounds how many alternative choices are tried after a
	// dead end before giving up with the first error found; 0 means 2000.
	MaxBacktracks int
	// Logger receives one debug record per decision; nil discards them.
	Logger *slog.Logger
}

// Solution is a resolved set of packages.
type Solution struct {
	// Packages in install order: each package after the packages it
	// depends on (except where a dependency cycle is broken). They are the
	// pointers given to New, so a caller can map each back to its
	// repository.
	Packages []*apk.PackageInfo
}

// Resolver holds the packages of a list of repositories, indexed by the
// names they provide, for any number of Resolve calls. It is safe for
// concurrent use.
type Resolver struct {
	repos   int
	pkgs    []pkg
	names   []name
	nameIdx map[string]int32
	opts    Options
	log     *slog.Logger
	debug   bool
}

// pkg is a package with its dependency tokens parsed and names interned.
type pkg struct {
	info     *apk.PackageInfo
	name     int32
	repo     int
	deps     []dep
	provides []provide // its own name first, then its provides
	iif      []dep
	identity string // "Q1…" of C:, for >< tokens
	broken   string // why it cannot be installed, "" if it can
}

type dep struct {
	name int32
	d    version.Dependency
}

// provide is one name a package provides; version is "" if unversioned.
type provide struct {
	name    int32
	version string
}

// provider is a package that provides a name, and the version it provides.
type provider struct {
	pkg     int32
	version string
}

type name struct {
	s         string
	providers []provider
	iifUsers  []int32 // packages whose install_if mentions this name
	users     []int32 // packages that depend on this name
	// kind is apk's name priority: 0 if only packages of this name
	// provide it, 1 if other packages do too, 2 if only other packages do.
	kind  int8
	chain int32 // longest dependency chain below the name
}

// closestName is the package name a requested name that nothing
// provides is likely a typo of, or "". A prefixed name (so:, cmd:, pc:)
// gets none: near names there are other libraries and commands.
func (r *Resolver) closestName(want string) string {
	if strings.Contains(want, ":") {
		return ""
	}
	var candidates []string
	for _, n := range r.names {
		if len(n.providers) > 0 && !strings.Contains(n.s, ":") {
			candidates = append(candidates, n.s)
		}
	}
	return typo.Near(want, candidates)
}

// New indexes the packages of repos, given in priority order (earlier
// repositories win ties). Packages with an invalid dependency token are
// kept out of every solution, with the reason in error messages. An
// identical package (same name, version and C:) in several repositories
// counts once, from the first.
func New(repos [][]*apk.PackageInfo, opts Options) (*Resolver, error) {
	r := &Resolver{repos: len(repos), nameIdx: map[string]int32{}, opts: opts}
	if r.opts.MaxBacktracks <= 0 {
		r.opts.MaxBacktracks = 2000
	}
	r.log = opts.Logger
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.debug = r.log.Enabled(context.Background(), slog.LevelDebug)
	total := 0
	for _, repo := range repos {
		total += len(repo)
	}
	r.pkgs = make([]pkg, 0, total)
	r.names = make([]name, 0, total*4)
	r.nameIdx = make(map[string]int32, total*4)
	seen := make(map[string]bool, total)
	for ri, repo := range repos {
		for pi, info := range repo {
			if info == nil {
				return nil, fmt.Errorf("resolve: repository %d, package %d is nil", ri, pi)
			}
			if info.Name == "" || info.Version == "" {
				return nil, fmt.Errorf("resolve: repository %d, package %d: missing name or version (P:/V:)", ri, pi)
			}
			if opts.Arch != "" && info.Arch != "" && info.Arch != "noarch" && info.Arch != opts.Arch {
				continue
			}
			key := info.Name + "\x00" + info.Version + "\x00" + string(info.Checksum)
			if seen[key] {
				continue
			}
			seen[key] = true
			r.addPackage(info, ri)
		}
	}
	for i := range r.names {
		r.names[i].kind = r.nameKind(int32(i))
	}
	r.computeChains()
	return r, nil
}

func (r *Resolver) intern(s string) int32 {
	if id, ok := r.nameIdx[s]; ok {
		return id
	}
	id := int32(len(r.names))
	r.names = append(r.names, name{s: s})
	r.nameIdx[s] = id
	return id
}

func (r *Resolver) addPackage(info *apk.PackageInfo, repo int) {
	id := int32(len(r.pkgs))
	p := pkg{info: info, repo: repo, name: r.intern(info.Name), identity: identity(info.Checksum)}
	if err := version.Validate(info.Version); err != nil {
		p.broken = fmt.Sprintf("its version (V:) is invalid: %v", err)
	}
	parse := func(field string, toks []string) []dep {
		if len(toks) == 0 {
			return nil
		}
		out := make([]dep, 0, len(toks))
		fail := func(err error) {
			if p.broken == "" {
				p.broken = fmt.Sprintf("its %s has an invalid token: %v", field, err)
			}
		}
		for _, tok := range toks {
			if !strings.ContainsAny(tok, " \n") {
				// The usual case: one token per entry.
				d, err := version.ParseDependency(tok)
				if err != nil {
					fail(err)
					continue
				}
				out = append(out, dep{name: r.intern(d.Name), d: d})
				continue
			}
			ds, err := version.ParseDependencies(tok)
			if err != nil {
				fail(err)
				continue
			}
			for _, d := range ds {
				out = append(out, dep{name: r.intern(d.Name), d: d})
			}
		}
		return out
	}
	p.deps = parse("depend (D:)", info.Depends)
	p.iif = parse("install_if (i:)", info.InstallIf)
	p.provides = append(p.provides, provide{name: p.name, version: info.Version})
	for _, d := range parse("provides (p:)", info.Provides) {
		if d.d.Conflict || (d.d.Op != version.Any && d.d.Op != version.EQ) {
			if p.broken == "" {
				p.broken = fmt.Sprintf("its provides (p:) token %q is neither name nor name=version", d.d.String())
			}
			continue
		}
		if d.name == p.name {
			continue
		}
		p.provides = append(p.provides, provide{name: d.name, version: d.d.Version})
	}
	r.pkgs = append(r.pkgs, p)
	for _, pr := range p.provides {
		r.names[pr.name].providers = append(r.names[pr.name].providers, provider{pkg: id, version: pr.version})
	}
	for _, d := range p.deps {
		users := r.names[d.name].users
		if !d.d.Conflict && (len(users) == 0 || users[len(users)-1] != id) {
			r.names[d.name].users = append(users, id)
		}
	}
	for _, d := range p.iif {
		users := r.names[d.name].iifUsers
		if len(users) == 0 || users[len(users)-1] != id {
			r.names[d.name].iifUsers = append(users, id)
		}
	}
}

// identity renders a C: checksum the way >< tokens spell it.
func identity(sum []byte) string {
	switch len(sum) {
	case 20:
		return "Q1" + base64.StdEncoding.EncodeToString(sum)
	case 32:
		return "Q2" + base64.StdEncoding.EncodeToString(sum)
	}
	return ""
}

func (r *Resolver) nameKind(n int32) int8 {
	own, other := 0, 0
	for _, pr := range r.names[n].providers {
		if r.pkgs[pr.pkg].name == n {
			own++
		} else {
			other++
		}
	}
	switch {
	case other == 0:
		return 0
	case own > 0:
		return 1
	}
	return 2
}

// computeChains sets each name's longest dependency chain (a package's
// chain is one more than its deepest dependency's; a name's is its deepest
// provider's). Cycles are cut where the walk meets a name in progress.
func (r *Resolver) computeChains() {
	const (
		unvisited = iota
		inProgress
		done
	)
	state := make([]uint8, len(r.names))
	var visit func(n int32) int32
	visit = func(n int32) int32 {
		switch state[n] {
		case inProgress:
			return 0
		case done:
			return r.names[n].chain
		}
		state[n] = inProgress
		var best int32
		for _, pr := range r.names[n].providers {
			for _, d := range r.pkgs[pr.pkg].deps {
				if d.d.Conflict {
					continue
				}
				if c := visit(d.name) + 1; c > best {
					best = c
				}
			}
		}
		r.names[n].chain = best
		state[n] = done
		return best
	}
	for i := range r.names {
		visit(int32(i))
	}
}

// Resolve is New followed by Resolver.Resolve, for a single request.
func Resolve(world []string, repos [][]*apk.PackageInfo, opts Options) (*Solution, error) {
	r, err := New(repos, opts)
	if err != nil {
		return nil, err
	}
	return r.Resolve(world)
}

// Resolve finds the packages that satisfy world, a list of dependency
// tokens ("busybox", "openssl>=1.1", "!foo", "so:libz.so.1"; an entry may
// also hold several tokens separated by spaces). An unsatisfiable request
// gives an *Error; a malformed token gives an error matching
// version.ErrInvalid.
func (r *Resolver) Resolve(world []string) (*Solution, error) {
	var deps []version.Dependency
	for i, w := range world {
		ds, err := version.ParseDependencies(w)
		if err != nil {
			return nil, fmt.Errorf("resolve: request entry %d: %w", i+1, err)
		}
		for _, d := range ds {
			if d.Tag != "" {
				return nil, &Error{Kind: KindRequest, Problem: fmt.Sprintf(
					"%s: repository tags (@%s) are not supported; list the repositories to use instead", d.String(), d.Tag)}
			}
			deps = append(deps, d)
		}
	}
	s := newState(r)
	if err := s.applyWorld(deps); err != nil {
		return nil, err
	}
	budget := r.opts.MaxBacktracks
	final, err := s.solve(&budget)
	if err != nil {
		return nil, err
	}
	return &Solution{Packages: final.installOrder(deps)}, nil
}

// describe names a package for messages: "busybox 1.35.0-r17".
func (r *Resolver) describe(p int32) string {
	return r.pkgs[p].info.Name + " " + r.pkgs[p].info.Version
}

// repoCount is "the repository" or "the N repositories".
func (r *Resolver) repoCount() string {
	if r.repos == 1 {
		return "the repository"
	}
	return fmt.Sprintf("the %d repositories", r.repos)
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
