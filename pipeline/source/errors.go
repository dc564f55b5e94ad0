package source

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pestle-dev/pestle/internal/httpget"
)

// Sentinels for errors.Is.
var (
	// ErrChecksumMismatch: the artifact's digest differs from the expected
	// one (see *ChecksumError).
	ErrChecksumMismatch = errors.New("checksum mismatch")
	// ErrUnsafePath: an archive member would land outside the target
	// (absolute name, ".." component, or a write through a symlink).
	ErrUnsafePath = errors.New("unsafe path in archive")
	// ErrUnknownFormat: the artifact is not an archive this package can
	// extract.
	ErrUnknownFormat = errors.New("unknown archive format")
	// ErrCommitMismatch: the checked-out commit is not expected-commit
	// (see *CommitMismatchError).
	ErrCommitMismatch = errors.New("commit mismatch")
)

// ChecksumError reports an artifact whose digest is not the expected one.
type ChecksumError struct {
	URI       string
	Algorithm string // "sha256" or "sha512"
	Expected  string
	Actual    string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("fetch %s: %s mismatch: expected %s, got %s (if the new artifact is trusted, set expected-%s: %s)",
		e.URI, e.Algorithm, e.Expected, e.Actual, e.Algorithm, e.Actual)
}

// Unwrap makes errors.Is(err, ErrChecksumMismatch) true.
func (e *ChecksumError) Unwrap() error { return ErrChecksumMismatch }

// HTTPError is a download answered with a status other than 200/206: the
// one HTTP error type of pestle's downloads (see internal/httpget).
type HTTPError = httpget.HTTPError

// sourceHint is what a 404 or 410 from a fetch step asks to check.
const sourceHint = "check the uri and the version it is built from"

// ExtractError is a failure to extract one archive, naming the member.
type ExtractError struct {
	Archive string
	Member  string // empty when the archive as a whole is at fault
	Err     error
}

func (e *ExtractError) Error() string {
	if e.Member == "" {
		return fmt.Sprintf("extract %s: %v", e.Archive, e.Err)
	}
	return fmt.Sprintf("extract %s: member %q: %v", e.Archive, e.Member, e.Err)
}

func (e *ExtractError) Unwrap() error { return e.Err }

// CommitMismatchError reports a checkout whose commit is not the recipe's
// expected-commit.
type CommitMismatchError struct {
	Repository string
	Ref        string // "tag v1.2", "branch main" or "HEAD"
	Expected   string
	Actual     string
	Hint       string
}

func (e *CommitMismatchError) Error() string {
	msg := fmt.Sprintf("git-checkout %s (%s): expected-commit %s, found %s", e.Repository, e.Ref, e.Expected, e.Actual)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrCommitMismatch) true.
func (e *CommitMismatchError) Unwrap() error { return ErrCommitMismatch }

// GitError is a git command that failed; Stderr holds the end of its
// error output.
type GitError struct {
	Args   []string
	Dir    string
	Err    error
	Stderr string
}

func (e *GitError) Error() string {
	msg := fmt.Sprintf("git %s: %v", strings.Join(e.Args, " "), e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *GitError) Unwrap() error { return e.Err }

// InputError is a `with:` input of a source pipeline that is missing or
// malformed.
type InputError struct {
	Pipeline string // "fetch" or "git-checkout"
	Input    string
	Value    string
	Reason   string
}

func (e *InputError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: input %s: %s", e.Pipeline, e.Input, e.Reason)
	}
	return fmt.Sprintf("%s: input %s=%q: %s", e.Pipeline, e.Input, e.Value, e.Reason)
}
