package source

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFetchFromWith(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	got, err := FetchFromWith(map[string]string{"uri": "https://example.org/x-1.0.tar.gz", "expected-sha256": strings.ToUpper(sum),
		"purl-name": "x", "purl-version": "1.0", "directory": ""})
	if err != nil {
		t.Fatal(err)
	}
	want := FetchInput{URI: "https://example.org/x-1.0.tar.gz", ExpectedSHA256: sum, StripComponents: 1, Extract: true,
		Directory: ".", Timeout: 5 * time.Second, DNSTimeout: 20 * time.Second, RetryLimit: 5, PurlName: "x", PurlVersion: "1.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}

	got, err = FetchFromWith(map[string]string{"uri": "u.zip", "expected-none": "true", "strip-components": "0",
		"extract": "false", "delete": "true", "directory": "src", "timeout": "30", "dns-timeout": "2", "retry-limit": "1"})
	if err != nil {
		t.Fatal(err)
	}
	want = FetchInput{URI: "u.zip", ExpectedNone: true, Delete: true, Directory: "src",
		Timeout: 30 * time.Second, DNSTimeout: 2 * time.Second, RetryLimit: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("explicit:\n got %+v\nwant %+v", got, want)
	}

	errs := []struct {
		with  map[string]string
		input string
	}{
		{map[string]string{"expected-none": "1"}, "uri"},
		{map[string]string{"uri": "u"}, "expected-sha256"},
		{map[string]string{"uri": "u", "expected-none": "false"}, "expected-sha256"},
		{map[string]string{"uri": "u", "expected-sha512": "12"}, "expected-sha512"},
		{map[string]string{"uri": "u", "expected-none": "y", "strip-components": "-1"}, "strip-components"},
		{map[string]string{"uri": "u", "expected-none": "y", "extract": "yes"}, "extract"},
		{map[string]string{"uri": "u", "expected-none": "y", "timeout": "0"}, "timeout"},
		{map[string]string{"uri": "u", "expected-none": "y", "directory": "../x"}, "directory"},
		{map[string]string{"uri": "u", "expected-none": "y", "sha256": "x"}, "sha256"},
	}
	for _, c := range errs {
		_, err := FetchFromWith(c.with)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != c.input || !strings.HasPrefix(err.Error(), "fetch: input "+c.input) {
			t.Errorf("%v: err = %v, want an error on %s", c.with, err, c.input)
		}
	}
}

func TestGitFromWith(t *testing.T) {
	commit := strings.Repeat("a1", 20)
	got, err := GitFromWith(map[string]string{"repository": "https://example.org/x.git", "tag": "v1.0",
		"expected-commit": commit, "depth": "unset", "cherry-picks": "", "type-hint": "gitlab"})
	if err != nil {
		t.Fatal(err)
	}
	want := GitInput{Repository: "https://example.org/x.git", Destination: ".", Tag: "v1.0", ExpectedCommit: commit,
		SubmoduleJobs: 1, MaxRetries: 3, InitialBackoff: 2 * time.Second, MaxBackoff: time.Minute, TypeHint: "gitlab"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if got.effectiveDepth() != 1 {
		t.Errorf("tag depth = %d, want 1", got.effectiveDepth())
	}

	got, err = GitFromWith(map[string]string{"repository": "r", "branch": "main", "expected-commit": commit,
		"recurse-submodules": "true", "shallow-submodules": "true", "submodule-jobs": "4",
		"sparse-paths": "- a\n- b/c\n", "max-retries": "0", "destination": "src"})
	if err != nil {
		t.Fatal(err)
	}
	if got.effectiveDepth() != -1 || !got.RecurseSubmodules || !got.ShallowSubmodules || got.SubmoduleJobs != 4 ||
		!reflect.DeepEqual(got.SparsePaths, []string{"a", "b/c"}) || got.MaxRetries != 0 || got.Destination != "src" {
		t.Errorf("explicit: %+v (depth %d)", got, got.effectiveDepth())
	}
	got.ExpectedCommitIsBranchTip = true
	if got.effectiveDepth() != 1 {
		t.Error("branch-tip checkouts need only depth 1")
	}

	errs := []struct {
		with  map[string]string
		input string
	}{
		{map[string]string{}, "repository"},
		{map[string]string{"repository": "r", "depth": "0"}, "depth"},
		{map[string]string{"repository": "r", "depth": "all"}, "depth"},
		{map[string]string{"repository": "r", "branch": "a", "tag": "b"}, "tag"},
		{map[string]string{"repository": "r", "expected-commit": "1234abc"}, "expected-commit"},
		{map[string]string{"repository": "r", "recurse-submodules": "yes"}, "recurse-submodules"},
		{map[string]string{"repository": "r", "tag": "v1", "expected-commit": commit, "expected-commit-is-branch-tip": "true"}, "expected-commit-is-branch-tip"},
		{map[string]string{"repository": "r", "cherry-picks": "abcdef1"}, "cherry-picks"},
		{map[string]string{"repository": "r", "submodule-jobs": "0"}, "submodule-jobs"},
		{map[string]string{"repository": "r", "refs": "x"}, "refs"},
	}
	for _, c := range errs {
		_, err := GitFromWith(c.with)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != c.input {
			t.Errorf("%v: err = %v, want an error on %s", c.with, err, c.input)
		}
	}
}

func TestParseCherryPicks(t *testing.T) {
	c40 := strings.Repeat("0123456789", 4)
	got, err := ParseCherryPicks(`
# a comment line
3.10/` + c40 + `: fix the build   # trailing comment
   
release/1.x/ABCDEF1: backport   two  words
` + c40 + `:no branch`)
	if err != nil {
		t.Fatal(err)
	}
	want := []CherryPick{
		{Branch: "3.10", Commit: c40, Comment: "fix the build", Line: 3},
		{Branch: "release/1.x", Commit: "abcdef1", Comment: "backport two words", Line: 5},
		{Commit: c40, Comment: "no branch", Line: 6},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		c40,                     // no colon
		c40 + ":   ",            // no comment
		c40 + ": # only a note", // comment removed by '#'
		"main/xyz1234: not hex",
		"main/abc: too short",
		"-x/" + c40 + ": option-like branch",
	} {
		if _, err := ParseCherryPicks(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error %q does not name the line", bad, err)
		}
	}
}
