package apk

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// skippedXattr tells which extended attributes are host details rather
// than package content: SELinux labels and POSIX ACLs of the build tree,
// and overlayfs's bookkeeping when the tree is an overlay's upper layer.
func skippedXattr(name string) bool {
	return name == "security.selinux" || strings.HasPrefix(name, "system.") ||
		strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// readXattrs returns the extended attributes of path (not following a
// final symlink), without the skipped ones. Filesystems without xattr
// support give none.
func readXattrs(path string) (map[string]string, error) {
	size, err := unix.Llistxattr(path, nil)
	if err != nil || size == 0 {
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EOPNOTSUPP) {
			return nil, err
		}
		return nil, nil
	}
	buf := make([]byte, size)
	size, err = unix.Llistxattr(path, buf)
	if err != nil {
		return nil, err
	}
	names := bytes.Split(bytes.TrimRight(buf[:size], "\x00"), []byte{0})
	sort.Slice(names, func(i, j int) bool { return bytes.Compare(names[i], names[j]) < 0 })
	var out map[string]string
	for _, n := range names {
		name := string(n)
		if name == "" || skippedXattr(name) {
			continue
		}
		vsize, err := unix.Lgetxattr(path, name, nil)
		if err != nil {
			return nil, err
		}
		val := make([]byte, vsize)
		if vsize > 0 {
			if vsize, err = unix.Lgetxattr(path, name, val); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = map[string]string{}
		}
		out[name] = string(val[:vsize])
	}
	return out, nil
}

// setXattr sets one extended attribute on an open file.
func setXattr(f *os.File, name, value string) error {
	return unix.Fsetxattr(int(f.Fd()), name, []byte(value), 0)
}
