package sandbox

import "golang.org/x/sys/unix"

// hostSyscalls are x/sys/unix's numbers for the calls of the amd64 table.
var hostSyscalls = map[string]uint32{
	"syslog": unix.SYS_SYSLOG, "vhangup": unix.SYS_VHANGUP, "pivot_root": unix.SYS_PIVOT_ROOT,
	"acct": unix.SYS_ACCT, "mount": unix.SYS_MOUNT, "umount2": unix.SYS_UMOUNT2,
	"swapon": unix.SYS_SWAPON, "swapoff": unix.SYS_SWAPOFF, "reboot": unix.SYS_REBOOT,
	"iopl": unix.SYS_IOPL, "ioperm": unix.SYS_IOPERM, "init_module": unix.SYS_INIT_MODULE,
	"delete_module": unix.SYS_DELETE_MODULE, "quotactl": unix.SYS_QUOTACTL,
	"lookup_dcookie": unix.SYS_LOOKUP_DCOOKIE, "kexec_load": unix.SYS_KEXEC_LOAD,
	"add_key": unix.SYS_ADD_KEY, "request_key": unix.SYS_REQUEST_KEY, "keyctl": unix.SYS_KEYCTL,
	"perf_event_open": unix.SYS_PERF_EVENT_OPEN, "open_by_handle_at": unix.SYS_OPEN_BY_HANDLE_AT,
	"finit_module": unix.SYS_FINIT_MODULE, "kexec_file_load": unix.SYS_KEXEC_FILE_LOAD,
	"bpf": unix.SYS_BPF, "userfaultfd": unix.SYS_USERFAULTFD, "open_tree": unix.SYS_OPEN_TREE,
	"move_mount": unix.SYS_MOVE_MOUNT, "fsopen": unix.SYS_FSOPEN, "fsconfig": unix.SYS_FSCONFIG,
	"fsmount": unix.SYS_FSMOUNT, "mount_setattr": unix.SYS_MOUNT_SETATTR,
	"quotactl_fd": unix.SYS_QUOTACTL_FD, "open_tree_attr": unix.SYS_OPEN_TREE_ATTR,
	"ptrace": unix.SYS_PTRACE, "process_vm_readv": unix.SYS_PROCESS_VM_READV,
	"process_vm_writev": unix.SYS_PROCESS_VM_WRITEV, "clone": unix.SYS_CLONE,
	"unshare": unix.SYS_UNSHARE, "clone3": unix.SYS_CLONE3,
}

const hostAudit = unix.AUDIT_ARCH_X86_64
