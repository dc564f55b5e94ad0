package pipeline

import "strings"

// The name rules below are plain character classes; they are checked by
// hand rather than by regular expressions compiled when the package is
// initialised, which every run of pestle paid for (names_test.go holds
// the equivalent expressions and checks they agree).

// validPackageName reports whether name follows the rule melange enforces
// for (sub)package names: an ASCII letter or digit, then letters, digits
// and + _ . -.
func validPackageName(name string) bool {
	return validWord(name, isAlnum)
}

// validCPEField reports whether f may stand in a CPE field: as a package
// name, but lower case only.
func validCPEField(f string) bool {
	return validWord(f, func(c byte) bool { return 'a' <= c && c <= 'z' || isDigit(c) })
}

// validUsesName reports whether uses is a pipeline name: one or more words
// joined by "/", each starting with a letter, digit or _ and going on with
// those and . + -.
func validUsesName(uses string) bool {
	for part := range strings.SplitSeq(uses, "/") {
		if !validWord(part, func(c byte) bool { return isAlnum(c) || c == '_' }) {
			return false
		}
	}
	return true
}

// validWord reports whether s is not empty, starts with a byte first
// accepts, and goes on with such bytes or + _ . -.
func validWord(s string, first func(byte) bool) bool {
	if s == "" || !first(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !first(c) && c != '+' && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || isDigit(c) }
