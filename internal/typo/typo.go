// Package typo finds the likely intended word for a misspelt one, for
// "did you mean" hints.
package typo

import "strings"

// Closest returns the candidate closest to word when it is a likely typo
// of it (a small edit distance, ignoring case and treating "_" as "-"),
// or the first candidate that word abbreviates (four letters or more);
// "" otherwise.
func Closest(word string, candidates []string) string {
	if c := closest(word, candidates, max(2, len(word)/3)); c != "" {
		return c
	}
	lw := fold(word)
	if len(lw) >= 4 {
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), lw) {
				return c
			}
		}
	}
	return ""
}

// Near is Closest held to a stricter rule, for names that are many and
// short (package names), where two edits make another real name: at most
// one edit per four bytes of word, no abbreviations, and nothing for a
// word under four bytes.
func Near(word string, candidates []string) string {
	if len(word) < 4 {
		return ""
	}
	return closest(word, candidates, len(word)/4)
}

// closest is the candidate at the smallest distance from word, if that
// is at most limit and less than word's length; ties go to the first in
// byte order.
func closest(word string, candidates []string, limit int) string {
	best, bestDist := "", -1
	lw := fold(word)
	for _, c := range candidates {
		d := distance(lw, strings.ToLower(c))
		if bestDist < 0 || d < bestDist || (d == bestDist && c < best) {
			best, bestDist = c, d
		}
	}
	if bestDist >= 0 && bestDist <= limit && bestDist < len(word) {
		return best
	}
	return ""
}

func fold(word string) string { return strings.ToLower(strings.ReplaceAll(word, "_", "-")) }

// distance is the Levenshtein distance between a and b (bytes); strings
// over 64 bytes are either equal (0) or far apart (64).
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
