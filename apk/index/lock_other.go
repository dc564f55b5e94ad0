//go:build !unix

package index

import "errors"

// Lock is not available on this system: repository updates need flock.
func Lock(dir string) (*DirLock, error) {
	return nil, errors.New("locking a repository directory needs a unix system (flock)")
}
