package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pestle-dev/pestle/sandbox"
)

// outputDir is the workspace dir the packages' trees are written to; a
// source dir's own one never shows in the workspace.
const outputDir = "melange-out"

// populateWorkspace gives the session's workspace the source dir's files
// (as filtered by f): through an overlay when the sandbox can mount one,
// which costs one whiteout per left-out path and leaves the source dir
// unchangeable; by copying otherwise. It says which it did and how many
// files it copied (-1 for an overlay, which copies none).
func (s *session) populateWorkspace(f *sourceFilter) (how string, files int, err error) {
	if s.wsOverlayOK && !strings.ContainsAny(f.src+s.scratch, ",:") {
		if err := f.hide(s.workspace); err != nil {
			return "", 0, err
		}
		s.wsOverlay = &sandbox.Overlay{Lower: f.src, Upper: s.workspace, Work: filepath.Join(s.scratch, "workspace-work")}
		s.wsMount = filepath.Join(s.scratch, "workspace-mnt")
		s.wsFilter = f
		return "overlay", -1, nil
	}
	n, err := f.copyTo(s.workspace)
	return "copy", n, err
}

// lowerDir is the source dir under the workspace overlay, "" when the
// workspace is a copy.
func (s *session) lowerDir() string {
	if s.wsOverlay == nil {
		return ""
	}
	return s.wsOverlay.Lower
}

// unoverlayWorkspace turns an overlay workspace the sandbox could not
// mount into a copied one, keeping the output dirs made since.
func (s *session) unoverlayWorkspace() error {
	old := filepath.Join(s.scratch, "workspace-unmounted")
	if err := os.Rename(s.workspace, old); err != nil {
		return err
	}
	if err := os.MkdirAll(s.workspace, 0o755); err != nil {
		return err
	}
	if _, err := s.wsFilter.copyTo(s.workspace); err != nil {
		return fmt.Errorf("copying the source dir into the workspace: %w", err)
	}
	out := filepath.Join(old, outputDir)
	if _, err := os.Lstat(out); err == nil {
		_ = unix.Lremovexattr(out, "trusted.overlay.opaque")
		if err := os.Rename(out, filepath.Join(s.workspace, outputDir)); err != nil {
			return err
		}
	}
	s.wsOverlay, s.wsMount, s.wsFilter = nil, "", nil
	return nil
}

// hide prepares upper, the overlay's upper layer over the source dir, so
// that the merged view holds what copyTo would copy: a whiteout for each
// path left out, and an opaque output dir when the source dir has one.
// The dirs it makes on the way get the source dir's modes, owners and
// times.
func (f *sourceFilter) hide(upper string) error {
	rels, err := f.hidden()
	if err != nil {
		return err
	}
	// The output dir is made by the host: an opaque dir rather than a
	// whiteout hides the source dir's one.
	hideOut := slices.Contains(rels, outputDir)
	rels = slices.DeleteFunc(rels, func(r string) bool { return r == outputDir })
	made := map[string]bool{}
	var dirs []string
	mkParents := func(rel string) error {
		for _, d := range parents(rel) {
			if made[d] {
				continue
			}
			made[d] = true
			if err := os.Mkdir(filepath.Join(upper, d), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			dirs = append(dirs, d)
		}
		return nil
	}
	for _, rel := range rels {
		if err := mkParents(rel); err != nil {
			return err
		}
		if err := unix.Mknod(filepath.Join(upper, rel), unix.S_IFCHR, 0); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("hiding %s from the workspace: %w", rel, err)
		}
	}
	if hideOut {
		out := filepath.Join(upper, outputDir)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		if fi, err := os.Lstat(filepath.Join(f.src, outputDir)); err == nil && fi.IsDir() {
			if err := unix.Setxattr(out, "trusted.overlay.opaque", []byte("y"), 0); err != nil {
				return fmt.Errorf("hiding the source dir's %s from the workspace: %w", outputDir, err)
			}
		}
	}
	// Deepest first, so that setting a dir's times comes after its
	// children changed it.
	slices.Reverse(dirs)
	for _, d := range dirs {
		if err := copyMeta(filepath.Join(f.src, d), filepath.Join(upper, d)); err != nil {
			return err
		}
	}
	return nil
}

// hidden lists the paths of the source dir, relative to it, that stay out
// of the workspace: those excluded by name, and those the ignore patterns
// or the private-key check leave out (found by a walk). Sorted, once each.
func (f *sourceFilter) hidden() ([]string, error) {
	var rels []string
	for abs := range f.skip {
		rel, err := filepath.Rel(f.src, abs)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		if _, err := os.Lstat(abs); err == nil {
			rels = append(rels, rel)
		}
	}
	if len(f.ig.patterns) > 0 || f.sec != nil {
		// Ignore patterns and private keys need a walk. Names are matched
		// as the walk goes; files are searched for keys on every CPU.
		keys := f.sec.checkAll()
		err := filepath.WalkDir(f.src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(f.src, p)
			switch {
			case rel == ".":
			case f.leftOutByName(rel, d):
				rels = append(rels, rel)
				if d.IsDir() {
					return filepath.SkipDir
				}
			default:
				keys.add(p, rel, d)
			}
			return nil
		})
		rels = append(rels, keys.wait()...)
		if err != nil {
			return nil, err
		}
	}
	slices.Sort(rels)
	return slices.Compact(rels), nil
}

// parents lists the dirs above rel, outermost first ("a/b/c" -> a, a/b).
func parents(rel string) []string {
	var out []string
	for d := filepath.Dir(rel); d != "."; d = filepath.Dir(d) {
		out = append(out, d)
	}
	slices.Reverse(out)
	return out
}

// copyMeta gives dst the mode, owner and times of the directory src.
func copyMeta(src, dst string) error {
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
		if err := os.Chmod(dst, fi.Mode().Perm()|fi.Mode()&(fs.ModeSetgid|fs.ModeSticky|fs.ModeSetuid)); err != nil {
			return err
		}
		atime := time.Unix(st.Atim.Sec, st.Atim.Nsec)
		return os.Chtimes(dst, atime, fi.ModTime())
	}
	return nil
}
