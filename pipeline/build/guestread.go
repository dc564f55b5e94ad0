package build

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pestle-dev/pestle/internal/fsutil"
)

// guestFileLimit bounds what the host reads of a file a step could have
// written (/etc/passwd, /etc/group).
const guestFileLimit = 4 << 20

// readUnder reads rel (slash-separated) below root without trusting
// anything a step may have left: symlinks that leave root are refused, the
// last component is never followed, only a regular file is read (a FIFO or
// device neither blocks nor streams), and never more than limit bytes.
func readUnder(root, rel string, limit int64) ([]byte, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fi, err := r.Lstat(rel)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("is %s, not a regular file: refusing to read it (a build step replaced it)", fsutil.Kind(fi.Mode()))
	}
	f, err := r.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.New("is not a regular file: refusing to read it")
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("is larger than the limit of %d bytes: refusing to read it", limit)
	}
	return data, nil
}

// isWhiteout reports whether fi is an overlayfs whiteout (a 0:0 character
// device in the upper layer: the file was removed).
func isWhiteout(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && fi.Mode()&fs.ModeCharDevice != 0 && st.Rdev == 0
}

// readGuestFile reads a file of the guest root as the steps left it: from
// the overlay's upper layer when a step changed it, from the (trusted,
// pestle-made) lower layer otherwise. A missing file gives fs.ErrNotExist.
func (s *session) readGuestFile(rel string) ([]byte, error) {
	data, err := s.readGuest(rel)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("guest /%s: %w", rel, err)
	}
	return data, err
}

func (s *session) readGuest(rel string) ([]byte, error) {
	if s.overlay == nil {
		return readUnder(s.guest, rel, guestFileLimit)
	}
	if fi, err := lstatUnder(s.overlay.Upper, rel); err == nil {
		if isWhiteout(fi) {
			return nil, fs.ErrNotExist
		}
		return readUnder(s.overlay.Upper, rel, guestFileLimit)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return readUnder(s.overlay.Lower, rel, guestFileLimit)
}

func lstatUnder(root, rel string) (fs.FileInfo, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Lstat(rel)
}

// checkOutputTree refuses an output tree (melange-out/<name> in the
// workspace) that a step replaced with a symlink or something other than
// a directory: packing or scanning through it would read host files.
func checkOutputTree(workspace, name string) error {
	for _, rel := range []string{"melange-out", filepath.Join("melange-out", name)} {
		fi, err := os.Lstat(filepath.Join(workspace, rel))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("the workspace's %s is %s, not a directory: a build step replaced it; refusing to pack through it", rel, fsutil.Kind(fi.Mode()))
		}
	}
	return nil
}
