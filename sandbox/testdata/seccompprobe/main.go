// Command seccompprobe makes the system calls named on its command line
// and prints, one a line, name=ok or name=ERRNO. The sandbox tests run it
// in a step to see what the step's seccomp filter answers; each call is
// chosen so that its answer without the filter differs from the filter's.
package main

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	for _, name := range os.Args[1:] {
		var e unix.Errno
		switch name {
		case "getpid":
			_, _, e = unix.RawSyscall(unix.SYS_GETPID, 0, 0, 0)
		case "ptrace": // ESRCH without the filter: the parent is not traced
			_, _, e = unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_PEEKDATA, uintptr(os.Getppid()), 0, 0, 0, 0)
		case "process_vm_readv": // reads nothing from itself
			_, _, e = unix.RawSyscall6(unix.SYS_PROCESS_VM_READV, uintptr(os.Getpid()), 0, 0, 0, 0, 0)
		case "unshare-user": // EINVAL without the filter: the process has threads
			_, _, e = unix.RawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWUSER, 0, 0)
		case "unshare-uts": // allowed by the filter, refused without CAP_SYS_ADMIN
			_, _, e = unix.RawSyscall(unix.SYS_UNSHARE, unix.CLONE_NEWUTS, 0, 0)
		case "clone3": // EINVAL without the filter: a zero size
			_, _, e = unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
		case "keyctl": // the session keyring's id without the filter
			_, _, e = unix.RawSyscall(unix.SYS_KEYCTL, unix.KEYCTL_GET_KEYRING_ID, uintptr(0xfffffffd), 0)
		case "mount":
			src, fstype, dst := []byte("none\x00"), []byte("tmpfs\x00"), []byte("/tmp\x00")
			_, _, e = unix.RawSyscall6(unix.SYS_MOUNT, uintptr(unsafe.Pointer(&src[0])), uintptr(unsafe.Pointer(&dst[0])),
				uintptr(unsafe.Pointer(&fstype[0])), 0, 0, 0)
		default:
			fmt.Fprintf(os.Stderr, "seccompprobe: unknown call %q\n", name)
			os.Exit(2)
		}
		if e == 0 {
			fmt.Printf("%s=ok\n", name)
		} else {
			fmt.Printf("%s=%s\n", name, unix.ErrnoName(e))
		}
	}
}
