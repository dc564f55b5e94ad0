package index

// LockName is the file in a repository arch directory that Lock locks.
const LockName = ".pestle.lock"

// DirLock is an exclusive lock on a repository directory, held until
// Unlock.
type DirLock struct {
	release func() error
}

// Unlock releases the lock. It is safe to call more than once.
func (l *DirLock) Unlock() error {
	if l == nil || l.release == nil {
		return nil
	}
	rel := l.release
	l.release = nil
	return rel()
}
