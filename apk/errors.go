package apk

import (
	"errors"
	"fmt"

	"github.com/pestle-dev/pestle/keys"
)

// ErrCorrupted means the package's bytes do not hold together: a datahash,
// per-file checksum or identity (index C:) mismatch, or a truncated or
// malformed archive.
var ErrCorrupted = errors.New("corrupted")

// ErrUnsafePath means an archive entry would be written outside the
// extraction root (an absolute name, "..", or a path through a symlink that
// leads out of the root). An *Error of this kind also matches ErrCorrupted.
var ErrUnsafePath = errors.New("unsafe path")

// ErrorKind says what went wrong with a package.
type ErrorKind int

// The kinds of *Error.
const (
	KindCorrupted    ErrorKind = iota + 1 // matches ErrCorrupted
	KindUntrusted                         // matches keys.ErrUntrusted
	KindBadSignature                      // matches keys.ErrBadSignature
	KindUnsafePath                        // matches ErrUnsafePath and ErrCorrupted
	KindIO                                // reading the input or writing the extraction root failed
	KindInvalid                           // the caller's input (tree, metadata, options) cannot be packed
)

func (k ErrorKind) String() string {
	switch k {
	case KindCorrupted:
		return "corrupted"
	case KindUntrusted:
		return "untrusted signature"
	case KindBadSignature:
		return "bad signature"
	case KindUnsafePath:
		return "unsafe path"
	case KindIO:
		return "i/o error"
	case KindInvalid:
		return "invalid"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is the error every function of this package returns about a
// package. Package is "name-version" once .PKGINFO has been read, the file
// name (ReadOptions.Source) before that; File is the archive entry
// concerned, if any.
type Error struct {
	Package string
	File    string
	Kind    ErrorKind
	Err     error
}

func (e *Error) Error() string {
	s := ""
	if e.Package != "" {
		s = e.Package + ": "
	}
	if e.File != "" {
		s += e.File + ": "
	}
	return s + e.Kind.String() + ": " + e.Err.Error()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind (see ErrorKind).
func (e *Error) Is(target error) bool {
	switch e.Kind {
	case KindCorrupted:
		return target == ErrCorrupted
	case KindUntrusted:
		return target == keys.ErrUntrusted
	case KindBadSignature:
		return target == keys.ErrBadSignature
	case KindUnsafePath:
		return target == ErrUnsafePath || target == ErrCorrupted
	}
	return false
}

// errf builds the cause of an *Error.
func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }
