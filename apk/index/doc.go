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
package index
