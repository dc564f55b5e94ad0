package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pestle-dev/pestle/sandbox"
)

// wsView is the workspace as the steps see it, for the steps pestle runs
// on the host (fetch, git-checkout): its upper layer, where they write,
// and with a workspace overlay the source dir under it. Nothing runs in
// the sandbox while a host-side step does, so what it resolves stays as
// it is until that step ends.
//
// It follows no symlink. The steps wrote the workspace: a symlink there
// (sub -> /etc) would lead the host, which may be root, to read or write
// anywhere.
type wsView struct {
	upper string
	lower string // "" without an overlay
}

// errSymlink is the error of a path through a symlink.
var errSymlink = errors.New("is a symlink, which steps run on the host do not follow")

// guestRel maps a path a recipe names, absolute in the guest or relative
// to the guest dir wd, to a path relative to the workspace ("" for the
// workspace itself). It refuses a path outside the workspace.
func guestRel(wd, p string) (string, error) {
	if wd == "" {
		wd = sandbox.GuestWorkspace
	} else if !path.IsAbs(wd) {
		wd = path.Join(sandbox.GuestWorkspace, wd)
	}
	if !path.IsAbs(p) {
		p = path.Join(wd, p)
	}
	p = path.Clean(p)
	if p == sandbox.GuestWorkspace {
		return "", nil
	}
	rel, ok := strings.CutPrefix(p, sandbox.GuestWorkspace+"/")
	if !ok {
		return "", fmt.Errorf("%s is outside the workspace %s: steps run on the host (fetch, git-checkout) read and write only there", p, sandbox.GuestWorkspace)
	}
	return rel, nil
}

// find returns the host path of rel as the merged view shows it, with
// its mode: from the upper layer, else from the source dir. It is
// fs.ErrNotExist when the view has nothing there, errSymlink when the
// path goes through a symlink.
func (v wsView) find(rel string) (string, fs.FileInfo, error) {
	if rel == "" {
		fi, err := os.Lstat(v.upper)
		return v.upper, fi, err
	}
	parts := strings.Split(rel, "/")
	inUpper, inLower := true, v.lower != ""
	var host string
	var fi fs.FileInfo
	for i := range parts {
		sub := filepath.Join(parts[:i+1]...)
		found := false
		if inUpper {
			p := filepath.Join(v.upper, sub)
			st, err := os.Lstat(p)
			switch {
			case err == nil && isWhiteout(st):
				return "", nil, notExist(rel)
			case err == nil:
				found, host, fi = true, p, st
				if !st.IsDir() || isOpaque(p) {
					inLower = false
				}
			case absent(err):
				inUpper = false
			default:
				return "", nil, err
			}
		}
		if !found && inLower {
			p := filepath.Join(v.lower, sub)
			st, err := os.Lstat(p)
			switch {
			case err == nil:
				found, host, fi = true, p, st
			case absent(err):
				inLower = false
			default:
				return "", nil, err
			}
		}
		switch {
		case !found:
			return "", nil, notExist(rel)
		case fi.Mode()&fs.ModeSymlink != 0:
			return "", nil, fmt.Errorf("%s %w", sub, errSymlink)
		case i < len(parts)-1 && !fi.IsDir():
			return "", nil, notExist(rel)
		}
	}
	return host, fi, nil
}

// dir returns the host dir of rel in the upper layer, for a host-side
// step to write in. A dir the view lacks is made, as melange makes a
// step's working directory; one that only the source dir has is made in
// the upper layer, where the overlay merges the two.
func (v wsView) dir(rel string) (string, error) {
	parts := strings.Split(rel, "/")
	if rel == "" {
		parts = nil
	}
	for i := range parts {
		sub := filepath.Join(parts[:i+1]...)
		_, fi, err := v.find(sub)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", err
		case !fi.IsDir():
			return "", fmt.Errorf("%s: %s is not a directory", rel, sub)
		}
		p := filepath.Join(v.upper, sub)
		if st, err := os.Lstat(p); err == nil && isWhiteout(st) {
			// A step removed the source dir's one: a new dir in its
			// place must not show the old one's files.
			if err := os.Remove(p); err != nil {
				return "", err
			}
			if err := os.Mkdir(p, 0o755); err != nil {
				return "", err
			}
			if err := unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
				return "", fmt.Errorf("%s: %w", rel, err)
			}
			continue
		}
		if err := os.Mkdir(p, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return filepath.Join(v.upper, filepath.FromSlash(rel)), nil
}

func notExist(rel string) error {
	return &fs.PathError{Op: "open", Path: rel, Err: fs.ErrNotExist}
}

func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// isOpaque reports an overlay dir that hides the lower layer's one.
func isOpaque(dir string) bool {
	buf := make([]byte, 1)
	for _, name := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Lgetxattr(dir, name, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}
