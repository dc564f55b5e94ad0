package pipeline

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pestle-dev/pestle/internal/typo"
)

// ErrArchNotTargeted is returned (wrapped) by Compile when the recipe's
// package.target-architecture does not include the requested architecture.
// A build skips such an architecture rather than failing.
var ErrArchNotTargeted = errors.New("architecture not targeted by the recipe")

// Pos is a 1-based line and column in a YAML file. The zero Pos means
// "no position known".
type Pos struct {
	Line int `json:"line,omitempty"`
	Col  int `json:"col,omitempty"`
}

// Error is one problem found in a recipe or pipeline file. It prints as
// "file:line:col: msg; hint", leaving out what is unknown.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, "%d:", e.Col)
		}
	}
	if b.Len() > 0 {
		b.WriteString(" ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// ErrorList collects every problem found in one pass, so a user fixes a
// recipe in one go rather than one error at a time.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *Error values.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Err returns nil for an empty list, the sorted, de-duplicated list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := l[:0]
	for i, e := range l {
		if i > 0 && e.Error() == l[i-1].Error() {
			continue
		}
		out = append(out, e)
	}
	return out
}

// errs accumulates errors for one file.
type errs struct {
	file string
	list ErrorList
}

func (e *errs) at(p Pos, hint, format string, args ...any) {
	e.list = append(e.list, &Error{File: e.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

func (e *errs) add(err *Error) { e.list = append(e.list, err) }

// suggest returns a "did you mean" hint naming the candidate closest to
// word (or the one word abbreviates), or "" when none is a likely typo.
func suggest(word string, candidates []string) string {
	if c := typo.Closest(word, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return ""
}
