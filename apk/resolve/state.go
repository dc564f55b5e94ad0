package resolve

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/pestle-dev/pestle/apk/version"
)

// state is one partial solution. Backtracking clones it at choice points;
// slices stored in its maps are never appended to in place (see addTo),
// so clones can share them.
type state struct {
	r        *Resolver
	selected []int32
	isSel    map[int32]bool
	chosen   map[int32]provider   // settled name -> the package chosen for it
	co       map[int32][]provider // more packages providing a settled name without version
	cons     map[int32][]constraint
	queued   map[int32]int32 // names ever queued -> their place in the queue (1, 2, …)
	queue    []int32         // names to settle, in order
	choices  []int32         // names with several candidates, decided last
	declined map[int32]bool  // install_if packages left out
	iifPend  map[int32]bool  // packages whose install_if may have become true
}

// constraint is a dependency applied to a name, and who has it.
type constraint struct {
	d    version.Dependency
	from int32 // package index, or -1 for the request
}

func newState(r *Resolver) *state {
	return &state{
		r:        r,
		isSel:    map[int32]bool{},
		chosen:   map[int32]provider{},
		co:       map[int32][]provider{},
		cons:     map[int32][]constraint{},
		queued:   map[int32]int32{},
		declined: map[int32]bool{},
		iifPend:  map[int32]bool{},
	}
}

func (s *state) clone() *state {
	return &state{
		r:        s.r,
		selected: slices.Clip(s.selected),
		isSel:    maps.Clone(s.isSel),
		chosen:   maps.Clone(s.chosen),
		co:       maps.Clone(s.co),
		cons:     maps.Clone(s.cons),
		queued:   maps.Clone(s.queued),
		queue:    slices.Clone(s.queue),
		choices:  slices.Clone(s.choices),
		declined: maps.Clone(s.declined),
		iifPend:  maps.Clone(s.iifPend),
	}
}

// addTo appends without ever writing into a backing array a clone shares.
func addTo[T any](list []T, v T) []T { return append(slices.Clip(list), v) }

func (s *state) applyWorld(deps []version.Dependency) *Error {
	for _, d := range deps {
		n, ok := s.r.nameIdx[d.Name]
		if !ok {
			n = -1
		}
		if n < 0 {
			if d.Conflict {
				continue // nothing provides it: the conflict holds
			}
			problem := "the request needs " + d.String() + "; no package in " + s.r.repoCount() + " provides " + itOrName(d)
			if c := s.r.closestName(d.Name); c != "" {
				problem += fmt.Sprintf(" (did you mean %q?)", c)
			}
			return &Error{Kind: KindNotFound, Name: d.Name, Problem: problem}
		}
		if err := s.addConstraint(n, d, -1); err != nil {
			return err
		}
	}
	return nil
}

func itOrName(d version.Dependency) string {
	if d.Op == version.Any {
		return "it"
	}
	return d.Name
}

// required reports whether anyone needs the name (not just conflicts).
func (s *state) required(n int32) bool {
	for _, c := range s.cons[n] {
		if !c.d.Conflict {
			return true
		}
	}
	return false
}

// matches reports whether package p's provide of a name (version v) is
// what d describes (ignoring d.Conflict).
func (s *state) matches(d version.Dependency, p int32, v string) bool {
	if d.Op == version.Checksum {
		return s.r.pkgs[p].identity != "" && s.r.pkgs[p].identity == d.Version
	}
	return d.MatchVersion(v)
}

// satisfied reports whether the packages providing settled name n meet d:
// the chosen one must match a dependency, none may match a conflict.
func (s *state) satisfied(n int32, d version.Dependency) (ok bool, culprit int32) {
	ch := s.chosen[n]
	if !d.Conflict {
		return s.matches(d, ch.pkg, ch.version), ch.pkg
	}
	for _, pr := range append([]provider{ch}, s.co[n]...) {
		if s.matches(d, pr.pkg, pr.version) {
			return false, pr.pkg
		}
	}
	return true, -1
}

// addConstraint applies d (held by package from, or -1) to name n.
func (s *state) addConstraint(n int32, d version.Dependency, from int32) *Error {
	c := constraint{d: d, from: from}
	s.cons[n] = addTo(s.cons[n], c)
	if _, settled := s.chosen[n]; settled {
		if ok, culprit := s.satisfied(n, d); !ok {
			return s.unmetError(n, c, culprit)
		}
		return nil
	}
	if !d.Conflict && s.queued[n] == 0 {
		s.queued[n] = int32(len(s.queued) + 1)
		s.queue = addTo(s.queue, n)
	}
	return nil
}

// block says why a package cannot be chosen in the current state.
type block struct {
	kind  blockKind
	name  int32      // the name concerned
	c     constraint // the constraint that rejects it (blockConstraint, blockForbidden)
	other int32      // the chosen package in the way (blockClash, blockDepUnmet)
	d     dep        // the package's own dependency (blockDepUnmet, blockDepMissing)
}

type blockKind uint8

const (
	blockBroken     blockKind = iota + 1 // invalid metadata
	blockConstraint                      // a dependency on one of its names wants another version
	blockForbidden                       // a conflict forbids one of its names
	blockClash                           // one of its names is provided by a chosen package
	blockDepUnmet                        // one of its dependencies is not met by a chosen package
	blockDepMissing                      // one of its dependencies has no provider at all
)

// blocker returns why package p cannot join the solution, or nil.
func (s *state) blocker(p int32) *block {
	pk := &s.r.pkgs[p]
	if pk.broken != "" {
		return &block{kind: blockBroken, name: pk.name}
	}
	for _, pr := range pk.provides {
		for _, c := range s.cons[pr.name] {
			m := s.matches(c.d, p, pr.version)
			if !c.d.Conflict && !m {
				return &block{kind: blockConstraint, name: pr.name, c: c}
			}
			if c.d.Conflict && m {
				return &block{kind: blockForbidden, name: pr.name, c: c}
			}
		}
		if ch, ok := s.chosen[pr.name]; ok && ch.pkg != p && (pr.version != "" || ch.version != "") {
			return &block{kind: blockClash, name: pr.name, other: ch.pkg}
		}
	}
	for i, d := range pk.deps {
		if _, settled := s.chosen[d.name]; settled {
			if ok, culprit := s.satisfied(d.name, d.d); !ok {
				return &block{kind: blockDepUnmet, name: d.name, other: culprit, d: d}
			}
		} else if !d.d.Conflict && !s.r.canProvide(p, i) {
			return &block{kind: blockDepMissing, name: d.name, d: d}
		}
	}
	return nil
}

// canProvide reports whether some usable package could meet dependency i
// of package p, whatever else is chosen.
func (r *Resolver) canProvide(p int32, i int) bool {
	d := r.pkgs[p].deps[i]
	for _, pr := range r.names[d.name].providers {
		if r.pkgs[pr.pkg].broken != "" {
			continue
		}
		if d.d.Op == version.Checksum {
			if r.pkgs[pr.pkg].identity == d.d.Version {
				return true
			}
		} else if d.d.MatchVersion(pr.version) {
			return true
		}
	}
	return false
}

// virtualSkip reports whether apk 2.14 would refuse to pick provider pr
// of name n on its own: it provides n without a version, has no
// provider_priority and its package is not needed for itself, even when
// it is the only provider of n.
func (s *state) virtualSkip(n int32, pr provider) bool {
	pk := &s.r.pkgs[pr.pkg]
	return pr.version == "" && pk.info.ProviderPriority == 0 && !s.required(pk.name)
}

// candidates lists the packages that may settle name n, best first. With
// iif set, only packages whose install_if holds are considered.
func (s *state) candidates(n int32, iif bool) []int32 {
	var out []provider
	for _, pr := range s.r.names[n].providers {
		if iif && (s.declined[pr.pkg] || !s.triggered(pr.pkg)) {
			continue
		}
		if s.blocker(pr.pkg) != nil || s.virtualSkip(n, pr) {
			continue
		}
		out = append(out, pr)
	}
	if len(out) > 1 {
		slices.SortStableFunc(out, func(a, b provider) int { return s.r.prefer(n, a, b) })
	}
	ids := make([]int32, len(out))
	for i, pr := range out {
		ids[i] = pr.pkg
	}
	return ids
}

// prefer orders two providers of name n, better first, following apk's
// compare_providers where it applies without an installed database.
func (r *Resolver) prefer(n int32, a, b provider) int {
	pa, pb := &r.pkgs[a.pkg], &r.pkgs[b.pkg]
	if a.version != "" && b.version != "" {
		if c := version.Compare(a.version, b.version); c != 0 {
			return -c
		}
	}
	if pa.name == pb.name {
		if c := version.Compare(pa.info.Version, pb.info.Version); c != 0 {
			return -c
		}
	}
	if c := cmp.Compare(pb.info.ProviderPriority, pa.info.ProviderPriority); c != 0 {
		return c
	}
	if c := cmp.Compare(pa.repo, pb.repo); c != 0 {
		return c
	}
	if (pa.name == n) != (pb.name == n) {
		if pa.name == n {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(pa.info.Name, pb.info.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.pkg, b.pkg)
}

// triggered reports whether package p has an install_if that the settled
// names meet.
func (s *state) triggered(p int32) bool {
	iif := s.r.pkgs[p].iif
	if len(iif) == 0 {
		return false
	}
	for _, d := range iif {
		if _, settled := s.chosen[d.name]; !settled {
			if d.d.Conflict {
				continue
			}
			return false
		}
		if ok, _ := s.satisfied(d.name, d.d); !ok {
			return false
		}
	}
	return true
}

// choose adds package p, chosen for name n, to the solution: it settles
// every name p provides and applies p's dependencies.
func (s *state) choose(p, n int32) *Error {
	r := s.r
	if r.debug {
		r.log.Debug("resolve: choose", "name", r.names[n].s, "package", r.describe(p))
	}
	s.selected = addTo(s.selected, p)
	s.isSel[p] = true
	for _, pr := range r.pkgs[p].provides {
		if _, settled := s.chosen[pr.name]; settled {
			s.co[pr.name] = addTo(s.co[pr.name], provider{pkg: p, version: pr.version})
			continue
		}
		s.chosen[pr.name] = provider{pkg: p, version: pr.version}
		for _, q := range r.names[pr.name].iifUsers {
			s.iifPend[q] = true
		}
	}
	for _, d := range r.pkgs[p].deps {
		if err := s.addConstraint(d.name, d.d, p); err != nil {
			return err
		}
	}
	return nil
}
