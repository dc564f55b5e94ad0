// Package index reads, writes, signs, merges and updates APKINDEX.tar.gz
// repository indexes.
//
// An index is an optional signature gzip member (one or more .SIGN.<TYPE>.<key>
// tar entries, no end-of-archive blocks) followed by one gzip member holding
// the APKINDEX text and a DESCRIPTION. The signature covers every byte after
// the signature member. Read verifies it against a keyring; Write produces
// it, with records sorted by name then version so the same packages always
// give the same bytes. Update merges packages into the index of a repository
// directory under an exclusive lock, so concurrent builds never lose an entry.
//
// The index member pestle writes is cut into independently compressed
// deflate segments (segwrite.go) described by a hidden sidecar file
// (sidecar.go), so that a merge recompresses only the segments the new
// records fall into (fastmerge.go); without a sidecar that matches, a merge
// reads the whole index as before.
package index
