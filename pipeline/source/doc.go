// Package source places a recipe's upstream sources in the build workspace
// from the host side, so that the sandbox itself can run without a network.
// It implements the behaviour of the two source built-ins with their
// melange input names and defaults:
//
//   - Fetch (`uses: fetch`) downloads an artifact over http(s), from a
//     file:// URI or a plain path, verifies its sha256 or sha512, keeps it
//     in a cache addressed by checksum (<cache>/sha256:<hex>, the layout of
//     melange's update-cache), copies it into the workspace under its base
//     name and extracts it (tar with gzip, xz, bzip2 or zstd compression,
//     or zip) with strip-components.
//   - GitCheckout (`uses: git-checkout`) keeps a mirror of each repository
//     under <cache>/git/<sha256 of the URL>, makes the working clone from
//     it at the destination, checks out the tag or branch, enforces
//     expected-commit, applies cherry-picks and fetches submodules. It runs
//     the host's git with a clean environment and a timeout.
//
// FetchFromWith and GitFromWith turn a step's already substituted `with:`
// strings into the typed inputs, applying the defaults and naming the input
// in every validation error.
//
// Extraction never writes outside its target: member names that are
// absolute or contain "..", and members that would be written through a
// symbolic link, are refused with ErrUnsafePath; archives are unpacked into
// a staging directory first, so a refused archive leaves the workspace as
// it was.
//
// Errors callers branch on are typed: *ChecksumError (ErrChecksumMismatch),
// *HTTPError, *ExtractError (ErrUnsafePath, ErrUnknownFormat),
// *CommitMismatchError (ErrCommitMismatch), *GitError and *InputError.
package source
