package resolve

import (
	"cmp"
	"slices"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// installOrder lists the chosen packages dependencies first, walking the
// request sorted by name and each package's dependencies in order, as apk
// builds its change set. Like apk, it lists only what the walk reaches: a
// package chosen for a virtual name that another listed package already
// provides (without version) is left out, with whatever only it needed. A package is marked before its dependencies are
// walked, so a cycle is broken at the edge that closes it. A package added
// by install_if follows the packages that trigger it, as soon as its own
// dependencies can be placed before it.
func (s *state) installOrder(world []version.Dependency) []*apk.PackageInfo {
	o := orderer{
		s:          s,
		doneName:   map[int32]bool{},
		started:    map[int32]bool{},
		inProgress: map[int32]bool{},
		out:        make([]*apk.PackageInfo, 0, len(s.selected)),
	}
	ws := slices.Clone(world)
	slices.SortStableFunc(ws, func(a, b version.Dependency) int { return cmp.Compare(a.Name, b.Name) })
	for _, d := range ws {
		if n, ok := s.r.nameIdx[d.Name]; ok {
			o.top(n)
		}
	}
	return o.out
}

type orderer struct {
	s          *state
	doneName   map[int32]bool
	started    map[int32]bool // packages visited (placed or on the walk's stack)
	inProgress map[int32]bool // packages on the walk's stack
	deferred   []int32        // install_if packages waiting for a dependency on the stack
	out        []*apk.PackageInfo
}

// top walks from a name of the request, then places the install_if
// packages that had to wait.
func (o *orderer) top(n int32) {
	o.visit(n)
	for len(o.deferred) > 0 {
		q := o.deferred[0]
		o.deferred = o.deferred[1:]
		o.visit(o.s.r.pkgs[q].name)
	}
}

func (o *orderer) visit(n int32) {
	s, r := o.s, o.s.r
	if o.doneName[n] {
		return
	}
	o.doneName[n] = true
	ch, ok := s.chosen[n]
	if !ok || o.started[ch.pkg] {
		return
	}
	p := ch.pkg
	o.started[p] = true
	o.inProgress[p] = true
	for _, pr := range r.pkgs[p].provides {
		o.doneName[pr.name] = true
	}
	for _, d := range r.pkgs[p].deps {
		if !d.d.Conflict { // a conflict asks for no order
			o.visit(d.name)
		}
	}
	o.out = append(o.out, r.pkgs[p].info)
	delete(o.inProgress, p)
	for _, pr := range r.pkgs[p].provides {
		for _, q := range r.names[pr.name].iifUsers {
			if !s.isSel[q] || o.started[q] || !o.triggersPlaced(q) {
				continue
			}
			if o.needsStacked(q, map[int32]bool{}) {
				if !slices.Contains(o.deferred, q) {
					o.deferred = append(o.deferred, q)
				}
				continue
			}
			o.visit(r.pkgs[q].name)
		}
	}
}

// triggersPlaced reports whether every name in q's install_if is placed.
func (o *orderer) triggersPlaced(q int32) bool {
	for _, d := range o.s.r.pkgs[q].iif {
		if !d.d.Conflict && !o.doneName[d.name] {
			return false
		}
	}
	return true
}

// needsStacked reports whether placing q now would put it before one of
// its (transitive) dependencies that is still on the walk's stack.
func (o *orderer) needsStacked(q int32, seen map[int32]bool) bool {
	seen[q] = true
	for _, d := range o.s.r.pkgs[q].deps {
		ch, ok := o.s.chosen[d.name]
		if !ok || d.d.Conflict {
			continue
		}
		if o.inProgress[ch.pkg] {
			return true
		}
		if !o.started[ch.pkg] && !seen[ch.pkg] && o.needsStacked(ch.pkg, seen) {
			return true
		}
	}
	return false
}
