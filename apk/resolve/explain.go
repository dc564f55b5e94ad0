package resolve

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/apk/version"
)

// ErrUnsatisfiable is matched by every *Error except KindRequest ones.
var ErrUnsatisfiable = errors.New("unsatisfiable request")

// Kind says why a request cannot be met.
type Kind uint8

// The kinds of *Error.
const (
	KindNotFound Kind = iota + 1 // no package provides a needed name
	KindVersion                  // packages provide it, none in an acceptable version
	KindConflict                 // the candidates clash with chosen packages or conflicts
	KindVirtual                  // several packages provide it without version and none is preferred
	KindBroken                   // the only candidates have invalid metadata
	KindRequest                  // the request itself is not supported (repository tags)
)

// Error explains an unsatisfiable request in one sentence, such as
// "build-base needs so:libc.so.6; no package in the 2 repositories
// provides it" or "foo needs bar>=2.0; available: bar 1.4-r0, bar 1.9-r2".
type Error struct {
	Kind    Kind
	Name    string // the name that could not be settled
	Problem string
}

func (e *Error) Error() string { return e.Problem }

// Unwrap makes an *Error match ErrUnsatisfiable (except KindRequest).
func (e *Error) Unwrap() error {
	if e.Kind == KindRequest {
		return nil
	}
	return ErrUnsatisfiable
}

// who names the holder of a constraint.
func (s *state) who(from int32) string {
	if from < 0 {
		return "the request"
	}
	return s.r.pkgs[from].info.Name
}

// needs phrases who needs name n: "foo and bar need baz>=1 and qux needs baz".
func (s *state) needs(n int32) string {
	type group struct {
		dep  string
		whos []string
	}
	var groups []group
	for _, c := range s.cons[n] {
		if c.d.Conflict {
			continue
		}
		text, who := c.d.String(), s.who(c.from)
		i := slices.IndexFunc(groups, func(g group) bool { return g.dep == text })
		if i < 0 {
			groups = append(groups, group{dep: text})
			i = len(groups) - 1
		}
		if !slices.Contains(groups[i].whos, who) {
			groups[i].whos = append(groups[i].whos, who)
		}
	}
	var parts []string
	for _, g := range groups {
		verb := " needs "
		if len(g.whos) > 1 {
			verb = " need "
		}
		parts = append(parts, joinAnd(g.whos)+verb+g.dep)
	}
	if len(parts) == 0 {
		return "its install_if needs " + s.r.names[n].s
	}
	return joinAnd(parts)
}

// requirers lists who needs chosen package p, leaving out p itself and
// the constraint skip.
func (s *state) requirers(p int32, skip constraint) []string {
	var whos []string
	for _, pr := range s.r.pkgs[p].provides {
		for _, c := range s.cons[pr.name] {
			if c == skip || c.d.Conflict || c.from == p {
				continue
			}
			if w := s.who(c.from); !slices.Contains(whos, w) {
				whos = append(whos, w)
			}
		}
	}
	if len(whos) > 4 {
		whos = append(whos[:3], fmt.Sprintf("%d more", len(whos)-3))
	}
	return whos
}

// neededBy phrases who needs chosen package p: " (needed by foo and bar)".
func (s *state) neededBy(p int32, skip constraint) string {
	whos := s.requirers(p, skip)
	if len(whos) == 0 {
		return " (added by its install_if)"
	}
	return " (needed by " + joinAnd(whos) + ")"
}

// providerText describes a provider of n: "bar 1.4-r0" or
// "libbar 1.0-r0 (provides bar=1.2)".
func (s *state) providerText(n int32, pr provider) string {
	t := s.r.describe(pr.pkg)
	if s.r.pkgs[pr.pkg].name != n {
		t += " (provides " + s.r.names[n].s
		if pr.version != "" {
			t += "=" + pr.version
		}
		t += ")"
	}
	return t
}

// available lists the providers of n, oldest first.
func (s *state) available(n int32) string {
	provs := slices.Clone(s.r.names[n].providers)
	slices.SortStableFunc(provs, func(a, b provider) int { return -s.r.prefer(n, a, b) })
	var out []string
	for i, pr := range provs {
		if i == 8 {
			out = append(out, fmt.Sprintf("and %d more", len(provs)-8))
			break
		}
		out = append(out, s.providerText(n, pr))
	}
	return strings.Join(out, ", ")
}

// explain builds the error for a needed name n that has no candidate.
func (s *state) explain(n int32) *Error {
	nm := s.r.names[n].s
	needs := s.needs(n)
	provs := s.r.names[n].providers
	if len(provs) == 0 {
		it := nm
		if !slices.ContainsFunc(s.cons[n], func(c constraint) bool { return !c.d.Conflict && c.d.Op != version.Any }) {
			it = "it"
		}
		return &Error{Kind: KindNotFound, Name: nm, Problem: fmt.Sprintf(
			"%s; no package in %s provides %s", needs, s.r.repoCount(), it)}
	}
	var virtual []string
	type blocked struct {
		pr provider
		b  *block
	}
	var bl []blocked
	for _, pr := range provs {
		if b := s.blocker(pr.pkg); b != nil {
			bl = append(bl, blocked{pr, b})
		} else if s.virtualSkip(n, pr) {
			virtual = append(virtual, s.r.pkgs[pr.pkg].info.Name)
		}
	}
	if len(virtual) > 0 {
		slices.Sort(virtual)
		virtual = slices.Compact(virtual)
		pick := "pick one of: "
		if len(virtual) == 1 {
			pick = "name its provider: "
		}
		return &Error{Kind: KindVirtual, Name: nm, Problem: fmt.Sprintf(
			"%s is a virtual package; %s%s (%s)", nm, pick, strings.Join(virtual, " "), needs)}
	}
	slices.SortStableFunc(bl, func(a, b blocked) int { return s.r.prefer(n, a.pr, b.pr) })
	for _, x := range bl {
		if x.b.kind == blockConstraint && x.b.name == n {
			continue
		}
		return s.blockError(n, needs, x.pr, x.b)
	}
	return &Error{Kind: KindVersion, Name: nm, Problem: fmt.Sprintf("%s; available: %s", needs, s.available(n))}
}

// blockError explains why the best blocked candidate pr of n was refused.
func (s *state) blockError(n int32, needs string, pr provider, b *block) *Error {
	r := s.r
	p := pr.pkg
	cand := s.providerText(n, pr)
	bname := r.names[b.name].s
	e := &Error{Kind: KindConflict, Name: r.names[n].s}
	switch b.kind {
	case blockBroken:
		e.Kind = KindBroken
		e.Problem = fmt.Sprintf("%s, but %s cannot be installed: %s", needs, cand, r.pkgs[p].broken)
	case blockForbidden:
		holder := s.who(b.c.from)
		if b.name == n {
			e.Problem = fmt.Sprintf("%s, but %s conflicts with %s (%s has %s)", needs, holder, cand, holder, b.c.d.String())
		} else {
			e.Problem = fmt.Sprintf("%s, but %s provides %s and %s conflicts with it (%s has %s)",
				needs, cand, bname, holder, holder, b.c.d.String())
		}
	case blockClash:
		e.Problem = fmt.Sprintf("%s, but %s cannot be installed together with %s%s: both provide %s",
			needs, cand, r.describe(b.other), s.neededBy(b.other, constraint{}), bname)
	case blockConstraint:
		v := ""
		for _, q := range r.pkgs[p].provides {
			if q.name == b.name && q.version != "" {
				v = "=" + q.version
			}
		}
		e.Problem = fmt.Sprintf("%s, but %s provides %s%s while %s needs %s",
			needs, cand, bname, v, s.who(b.c.from), b.c.d.String())
	case blockDepUnmet:
		if b.d.d.Conflict {
			e.Problem = fmt.Sprintf("%s, but %s has %s and %s is chosen%s",
				needs, cand, b.d.d.String(), r.describe(b.other), s.neededBy(b.other, constraint{}))
		} else {
			e.Problem = fmt.Sprintf("%s, but %s needs %s and %s is already chosen%s",
				needs, cand, b.d.d.String(), s.providerText(b.name, s.chosen[b.name]), s.neededBy(b.other, constraint{}))
		}
	case blockDepMissing:
		// Said from the candidate's side, as if it had been chosen.
		e.Name = bname
		who := r.pkgs[p].info.Name
		if len(r.names[b.name].providers) == 0 {
			e.Kind = KindNotFound
			it := bname
			if b.d.d.Op == version.Any {
				it = "it"
			}
			e.Problem = fmt.Sprintf("%s needs %s; no package in %s provides %s", who, b.d.d.String(), r.repoCount(), it)
		} else {
			e.Kind = KindVersion
			e.Problem = fmt.Sprintf("%s needs %s; available: %s", who, b.d.d.String(), s.available(b.name))
		}
	}
	return e
}

// unmetError explains a new constraint c on settled name n that the
// chosen package(s) do not meet; culprit is the package at fault.
func (s *state) unmetError(n int32, c constraint, culprit int32) *Error {
	r := s.r
	e := &Error{Kind: KindConflict, Name: r.names[n].s}
	who := s.who(c.from)
	if c.d.Conflict {
		e.Problem = fmt.Sprintf("%s conflicts with %s (%s has %s)%s",
			who, r.describe(culprit), who, c.d.String(), s.neededBy(culprit, c))
		return e
	}
	ch := s.chosen[n]
	e.Problem = fmt.Sprintf("%s needs %s, but %s is already chosen%s",
		who, c.d.String(), s.providerText(n, ch), s.neededBy(ch.pkg, c))
	return e
}
