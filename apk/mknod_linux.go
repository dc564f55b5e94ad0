package apk

import (
	"archive/tar"
	"os"
	"path"

	"golang.org/x/sys/unix"
)

// mknodIn makes the FIFO or device node of e inside r: the parent is
// resolved by os.Root (never outside it) and the node made relative to
// that directory's descriptor.
func mknodIn(r *os.Root, e Entry) error {
	d, err := r.Open(path.Dir(e.Name))
	if err != nil {
		return err
	}
	defer d.Close()
	mode := uint32(e.Mode & 0o7777)
	switch e.Type {
	case tar.TypeChar:
		mode |= unix.S_IFCHR
	case tar.TypeBlock:
		mode |= unix.S_IFBLK
	default:
		mode |= unix.S_IFIFO
	}
	dev := unix.Mkdev(uint32(e.Devmajor), uint32(e.Devminor))
	if err := unix.Mknodat(int(d.Fd()), path.Base(e.Name), mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknod", Path: e.Name, Err: err}
	}
	return unix.Fchmodat(int(d.Fd()), path.Base(e.Name), uint32(e.Mode&0o7777), 0)
}
