package source

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// fetchInputs and gitInputs are the `with:` names the two built-ins
// declare, as melange declares them.
var (
	fetchInputs = []string{"uri", "expected-sha256", "expected-sha512", "expected-none",
		"strip-components", "directory", "extract", "delete", "timeout", "dns-timeout",
		"retry-limit", "purl-name", "purl-version", "reason"}
	gitInputs = []string{"repository", "destination", "depth", "branch", "tag",
		"expected-commit", "expected-commit-is-branch-tip", "recurse-submodules",
		"shallow-submodules", "submodule-jobs", "cherry-picks", "type-hint", "sparse-paths",
		"max-retries", "initial-backoff", "max-backoff", "reason"}
)

// FetchFromWith maps the substituted `with:` strings of a fetch step to a
// FetchInput, applying melange's defaults (strip-components 1, directory
// ".", extract true, delete false, timeout 5 s, dns-timeout 20 s,
// retry-limit 5). An empty value counts as not given. Errors are
// *InputError naming the input.
func FetchFromWith(with map[string]string) (FetchInput, error) {
	in := FetchInput{Extract: true, StripComponents: 1, Directory: "."}
	if err := unknownInputs("fetch", with, fetchInputs); err != nil {
		return in, err
	}
	p := withParser{pipeline: "fetch", with: with}
	in.URI = p.str("uri")
	in.ExpectedSHA256 = strings.ToLower(p.str("expected-sha256"))
	in.ExpectedSHA512 = strings.ToLower(p.str("expected-sha512"))
	// melange skips verification for any non-empty expected-none; pestle
	// reads an explicit "false" as false, which only makes it stricter.
	if v := p.str("expected-none"); v != "" && v != "false" {
		in.ExpectedNone = true
	}
	in.StripComponents = p.integer("strip-components", 1, 0)
	in.Directory = p.strOr("directory", ".")
	in.Extract = p.boolean("extract", true)
	in.Delete = p.boolean("delete", false)
	in.Timeout = p.seconds("timeout", 5, 1)
	in.DNSTimeout = p.seconds("dns-timeout", 20, 1)
	in.RetryLimit = p.integer("retry-limit", 5, 0)
	in.PurlName = p.str("purl-name")
	in.PurlVersion = p.str("purl-version")
	in.Reason = p.str("reason")
	if p.err != nil {
		return in, p.err
	}
	return in, in.validate()
}

// GitFromWith maps the substituted `with:` strings of a git-checkout step
// to a GitInput, applying melange's defaults (destination ".", depth
// unset, submodule-jobs 1, max-retries 3, initial-backoff 2 s, max-backoff
// 60 s). An empty value counts as not given. Errors are *InputError naming
// the input.
func GitFromWith(with map[string]string) (GitInput, error) {
	var in GitInput
	if err := unknownInputs("git-checkout", with, gitInputs); err != nil {
		return in, err
	}
	p := withParser{pipeline: "git-checkout", with: with}
	in.Repository = p.str("repository")
	in.Destination = p.strOr("destination", ".")
	switch d := p.str("depth"); d {
	case "", "unset":
	default:
		n, err := strconv.Atoi(d)
		if err != nil || (n < 1 && n != -1) {
			p.fail("depth", d, "must be a positive number, -1 for the full history, or unset")
		}
		in.Depth = n
	}
	in.Branch = p.str("branch")
	in.Tag = p.str("tag")
	in.ExpectedCommit = strings.ToLower(p.str("expected-commit"))
	in.ExpectedCommitIsBranchTip = p.boolean("expected-commit-is-branch-tip", false)
	in.RecurseSubmodules = p.boolean("recurse-submodules", false)
	in.ShallowSubmodules = p.boolean("shallow-submodules", false)
	in.SubmoduleJobs = p.integer("submodule-jobs", 1, 1)
	in.CherryPicks = with["cherry-picks"]
	in.TypeHint = p.str("type-hint")
	in.SparsePaths = splitPaths(with["sparse-paths"])
	in.MaxRetries = p.integer("max-retries", 3, 0)
	in.InitialBackoff = p.seconds("initial-backoff", 2, 0)
	in.MaxBackoff = p.seconds("max-backoff", 60, 0)
	in.Reason = p.str("reason")
	if p.err != nil {
		return in, p.err
	}
	return in, in.validate()
}

// splitPaths reads sparse-paths given as words or as YAML list lines
// ("- a\n- b").
func splitPaths(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if f != "-" {
			out = append(out, f)
		}
	}
	return out
}

func unknownInputs(pipeline string, with map[string]string, known []string) error {
	keys := make([]string, 0, len(with))
	for k := range with {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(known, k) {
			return &InputError{Pipeline: pipeline, Input: k,
				Reason: "unknown input; known inputs: " + strings.Join(known, ", ")}
		}
	}
	return nil
}

// withParser reads typed values and keeps the first error.
type withParser struct {
	pipeline string
	with     map[string]string
	err      error
}

func (p *withParser) fail(input, value, reason string) {
	if p.err == nil {
		p.err = &InputError{Pipeline: p.pipeline, Input: input, Value: value, Reason: reason}
	}
}

func (p *withParser) str(k string) string { return strings.TrimSpace(p.with[k]) }

func (p *withParser) strOr(k, def string) string {
	if v := p.str(k); v != "" {
		return v
	}
	return def
}

func (p *withParser) boolean(k string, def bool) bool {
	switch v := p.str(k); v {
	case "":
		return def
	case "true":
		return true
	case "false":
		return false
	default:
		p.fail(k, v, "must be true or false")
		return def
	}
}

func (p *withParser) integer(k string, def, min int) int {
	v := p.str(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		p.fail(k, v, "must be a whole number >= "+strconv.Itoa(min))
		return def
	}
	return n
}

func (p *withParser) seconds(k string, def, min int) time.Duration {
	return time.Duration(p.integer(k, def, min)) * time.Second
}

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
