package resolve

import (
	"cmp"
	"slices"
)

// solve completes the state, backtracking over choices within budget.
// It returns the completed state (s itself or a clone).
func (s *state) solve(budget *int) (*state, *Error) {
	for {
		first, err := s.settle()
		if err != nil {
			return nil, err
		}
		if first >= 0 {
			return s.branch(first, s.candidates(first, false), false, budget)
		}
		n, cands, err := s.nextChoice()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			break
		}
		if len(cands) == 1 {
			if err := s.choose(cands[0], n); err != nil {
				return nil, err
			}
			continue
		}
		return s.branch(n, cands, false, budget)
	}
	n, cands := s.nextTriggered()
	if n < 0 {
		return s, nil
	}
	return s.branch(n, cands, true, budget)
}

// settle takes queued names in order and settles those with a single
// candidate; names with several wait in s.choices. It stops early, with
// n put back in the queue, when a virtual name must be decided before n
// (see virtualFirst), and returns that name; otherwise -1.
func (s *state) settle() (int32, *Error) {
	for len(s.queue) > 0 {
		n := s.queue[0]
		s.queue = s.queue[1:]
		if _, settled := s.chosen[n]; settled {
			continue
		}
		cands := s.candidates(n, false)
		switch len(cands) {
		case 0:
			return -1, s.explain(n)
		case 1:
			if v := s.virtualFirst(cands[0], n); v >= 0 {
				s.queue = append([]int32{n}, s.queue...)
				return v, nil
			}
			if err := s.choose(cands[0], n); err != nil {
				return -1, err
			}
		default:
			s.choices = addTo(s.choices, n)
		}
	}
	return -1, nil
}

// virtualFirst returns a virtual name that apk decides before name n,
// whose only candidate is p, or -1. apk takes the names it must decide
// deepest dependency chain first, and of equal depth the one needed most
// recently; package names and virtual names alike. So a virtual name that
// p provides without version, that is needed and that p would otherwise
// settle, gets its own preferred provider when it comes first in that
// order, and p then provides it alongside (as for ldoc, which needs
// lua5.4 and, through lua-penlight, the virtual lua: apk installs lua5.1,
// lua's provider_priority choice, as well).
func (s *state) virtualFirst(p, n int32) int32 {
	r := s.r
	for _, pr := range r.pkgs[p].provides {
		v := pr.name
		if pr.version != "" || v == n || s.queued[v] == 0 {
			continue
		}
		if _, settled := s.chosen[v]; settled || !s.required(v) {
			continue
		}
		if s.allUsersChosen(n) {
			continue
		}
		cv, cn := r.names[v].chain, r.names[n].chain
		if cv < cn || (cv == cn && s.queued[v] < s.queued[n]) {
			continue
		}
		if cands := s.candidates(v, false); len(cands) > 1 && cands[0] != p {
			return v
		}
	}
	return -1
}

// nextChoice returns the next waiting name to decide and its candidates:
// one that has come down to a single candidate if any, else apk's order —
// names of real packages before virtual names, then the deepest
// dependency chain first, then by name. n is -1 when none is left.
func (s *state) nextChoice() (n int32, cands []int32, err *Error) {
	n = -1
	var keep []int32
	for _, c := range s.choices {
		if _, settled := s.chosen[c]; settled {
			continue
		}
		cc := s.candidates(c, false)
		switch {
		case len(cc) == 0:
			return -1, nil, s.explain(c)
		case len(cc) == 1:
			s.choices = slices.DeleteFunc(slices.Clone(s.choices), func(x int32) bool { return x == c })
			return c, cc, nil
		}
		keep = append(keep, c)
		if n < 0 || s.r.nameOrder(c, n) < 0 {
			n, cands = c, cc
		}
	}
	if n >= 0 {
		keep = slices.DeleteFunc(keep, func(x int32) bool { return x == n })
	}
	s.choices = keep
	return n, cands, nil
}

// nameOrder is apk's order for deciding names: fewer virtual providers
// first, then the longer dependency chain, then by name.
func (r *Resolver) nameOrder(a, b int32) int {
	na, nb := &r.names[a], &r.names[b]
	if c := cmp.Compare(na.kind, nb.kind); c != 0 {
		return c
	}
	if c := cmp.Compare(nb.chain, na.chain); c != 0 {
		return c
	}
	return cmp.Compare(na.s, nb.s)
}

// nextTriggered finds the next package name whose install_if holds,
// with its candidates; n is -1 when there is none. Packages whose trigger
// holds but that cannot be chosen are declined.
func (s *state) nextTriggered() (n int32, cands []int32) {
	var names []int32
	for _, p := range sortedKeys(s.iifPend) {
		pk := &s.r.pkgs[p]
		if s.isSel[p] || s.declined[p] || !s.triggered(p) {
			// Looked at again when another of its install_if names settles.
			delete(s.iifPend, p)
			continue
		}
		if _, settled := s.chosen[pk.name]; settled {
			continue
		}
		if !slices.Contains(names, pk.name) {
			names = append(names, pk.name)
		}
	}
	slices.SortFunc(names, s.r.nameOrder)
	for _, nm := range names {
		if cc := s.candidates(nm, true); len(cc) > 0 {
			return nm, cc
		}
		// Triggered but impossible (a conflict, a clash): leave it out.
		for _, pr := range s.r.names[nm].providers {
			if s.triggered(pr.pkg) {
				s.declined[pr.pkg] = true
			}
		}
	}
	return -1, nil
}

func sortedKeys(m map[int32]bool) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// branch tries the candidates for name n in order; the first that leads
// to a full solution wins. For an install_if name (optional) leaving the
// packages out is the last alternative. The error of the preferred
// candidate is the one reported.
func (s *state) branch(n int32, cands []int32, optional bool, budget *int) (*state, *Error) {
	var first *Error
	for i, c := range cands {
		if i > 0 {
			if *budget <= 0 {
				break
			}
			*budget--
			if s.r.debug {
				s.r.log.Debug("resolve: backtrack", "name", s.r.names[n].s, "next", s.r.describe(c))
			}
		}
		child := s.clone()
		err := child.choose(c, n)
		if err == nil {
			var final *state
			if final, err = child.solve(budget); err == nil {
				return final, nil
			}
		}
		if first == nil {
			first = err
		}
	}
	if optional {
		for _, c := range cands {
			s.declined[c] = true
		}
		return s.solve(budget)
	}
	return nil, first
}

// allUsersChosen reports whether every package that depends on name n is
// chosen: apk then takes n at once, before any name with a choice.
func (s *state) allUsersChosen(n int32) bool {
	for _, q := range s.r.names[n].users {
		if !s.isSel[q] {
			return false
		}
	}
	return true
}
