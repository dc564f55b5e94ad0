package source

import (
	"fmt"
	"strings"
)

// CherryPick is one line of git-checkout's cherry-picks input:
// "[branch/]commit: comment".
type CherryPick struct {
	Branch  string // branch on origin that holds the commit; may be empty
	Commit  string
	Comment string
	Line    int // 1-based line in the input
}

// ParseCherryPicks reads the cherry-picks input. Empty lines and anything
// after "#" are ignored; every other line needs a commit and a comment
// ("3.10/62705d869aca4055e8a96e2ed4f9013e9917c661: fix CVE-2024-1234").
// The branch is everything before the last "/" of the part before ":".
func ParseCherryPicks(s string) ([]CherryPick, error) {
	var out []CherryPick
	for i, line := range strings.Split(s, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fail := func(reason string) error {
			return &InputError{Pipeline: "git-checkout", Input: "cherry-picks", Value: line,
				Reason: fmt.Sprintf("line %d: %s", i+1, reason)}
		}
		ref, comment, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fail("expected '[branch/]commit: comment'")
		}
		comment = strings.Join(strings.Fields(comment), " ")
		if comment == "" {
			return nil, fail("the comment after ':' is required")
		}
		ref = strings.TrimSpace(ref)
		branch, commit := "", ref
		if j := strings.LastIndexByte(ref, '/'); j >= 0 {
			branch, commit = ref[:j], ref[j+1:]
		}
		commit = strings.ToLower(commit)
		if !isHexPrefix(commit) {
			return nil, fail(fmt.Sprintf("%q is not a commit hash (7 to 64 hex digits)", commit))
		}
		if branch != "" && (strings.HasPrefix(branch, "-") || strings.ContainsAny(branch, " :\\")) {
			return nil, fail(fmt.Sprintf("%q is not a branch name", branch))
		}
		out = append(out, CherryPick{Branch: branch, Commit: commit, Comment: comment, Line: i + 1})
	}
	return out, nil
}

// isHexPrefix accepts an abbreviated or full object name.
func isHexPrefix(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	return isHex(s, len(s))
}
