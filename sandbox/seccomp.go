package sandbox

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"slices"
)

// seccompFD is the descriptor bwrap reads the step's seccomp filter from
// (the fourth of exec.Cmd.ExtraFiles). bwrap loads it just before it runs
// the step, after its own set-up, and closes the descriptor.
const seccompFD = 6

// The filter is a classic BPF program over struct seccomp_data, whose
// fields sit at fixed offsets: nr (u32), arch (u32), instruction_pointer
// (u64), args[6] (u64 each), all in the CPU's byte order. Both arches
// pestle filters for are little-endian, so args[0]'s low word is at 16.
const (
	offNr       = 0
	offArch     = 4
	offArg0Low  = 16
	bpfLdWAbs   = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJeqK     = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgeK     = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfJsetK    = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfRetK     = 0x06 // BPF_RET | BPF_K
	retAllow    = 0x7fff0000
	retKill     = 0x80000000 // SECCOMP_RET_KILL_PROCESS
	retErrno    = 0x00050000
	errEPERM    = 1
	errENOSYS   = 38
	cloneNewUsr = 0x10000000 // CLONE_NEWUSER
	x32Bit      = 0x40000000 // __X32_SYSCALL_BIT
)

// sysNum names a system call and its number on one arch.
type sysNum struct {
	name string
	nr   uint32
}

// seccompArch is what the filter needs to know of an arch.
type seccompArch struct {
	goarch string // GOARCH of the table
	audit  uint32 // AUDIT_ARCH_* the kernel reports for native calls
	x32    bool   // refuse numbers with the x32 ABI bit (x86_64)
	// deny are the calls that fail with EPERM. They reach the kernel's
	// global state (mounts, modules, keys, swap, clock of the machine,
	// raw I/O, the kernel log) or other processes' memory; the
	// capability set already refuses most of them, the filter makes sure
	// of it in a second, independent way.
	deny []sysNum
	// ptrace are the calls that inspect another process; allowed only
	// when the recipe adds CAP_SYS_PTRACE (debugger test suites).
	ptrace []sysNum
	// cloneUser are the calls whose first argument is a clone flag set:
	// they fail with EPERM when it asks for a new user namespace, where
	// a step would get back every capability.
	cloneUser []sysNum
	// noSys fail with ENOSYS: clone3 takes its flags in memory the
	// filter cannot read, and C libraries fall back to clone on ENOSYS.
	noSys []sysNum
}

// seccompArches are the arches pestle filters for. The numbers are checked
// against golang.org/x/sys/unix by the per-arch tests. A slice of constant
// data, unlike a map, costs nothing at start-up.
var seccompArches = []seccompArch{
	{
		goarch: "amd64",
		audit:  0xc000003e, // AUDIT_ARCH_X86_64
		x32:    true,
		deny: []sysNum{
			{"syslog", 103}, {"vhangup", 153}, {"pivot_root", 155}, {"acct", 163},
			{"mount", 165}, {"umount2", 166}, {"swapon", 167}, {"swapoff", 168},
			{"reboot", 169}, {"iopl", 172}, {"ioperm", 173}, {"init_module", 175},
			{"delete_module", 176}, {"quotactl", 179}, {"lookup_dcookie", 212},
			{"kexec_load", 246}, {"add_key", 248}, {"request_key", 249}, {"keyctl", 250},
			{"perf_event_open", 298}, {"open_by_handle_at", 304}, {"finit_module", 313},
			{"kexec_file_load", 320}, {"bpf", 321}, {"userfaultfd", 323},
			{"open_tree", 428}, {"move_mount", 429}, {"fsopen", 430}, {"fsconfig", 431},
			{"fsmount", 432}, {"mount_setattr", 442}, {"quotactl_fd", 443}, {"open_tree_attr", 467},
		},
		ptrace:    []sysNum{{"ptrace", 101}, {"process_vm_readv", 310}, {"process_vm_writev", 311}},
		cloneUser: []sysNum{{"clone", 56}, {"unshare", 272}},
		noSys:     []sysNum{{"clone3", 435}},
	},
	{
		goarch: "arm64",
		audit:  0xc00000b7, // AUDIT_ARCH_AARCH64
		deny: []sysNum{
			{"lookup_dcookie", 18}, {"umount2", 39}, {"mount", 40}, {"pivot_root", 41},
			{"vhangup", 58}, {"quotactl", 60}, {"acct", 89}, {"kexec_load", 104},
			{"init_module", 105}, {"delete_module", 106}, {"syslog", 116}, {"reboot", 142},
			{"add_key", 217}, {"request_key", 218}, {"keyctl", 219}, {"swapon", 224},
			{"swapoff", 225}, {"perf_event_open", 241}, {"open_by_handle_at", 265},
			{"finit_module", 273}, {"bpf", 280}, {"userfaultfd", 282}, {"kexec_file_load", 294},
			{"open_tree", 428}, {"move_mount", 429}, {"fsopen", 430}, {"fsconfig", 431},
			{"fsmount", 432}, {"mount_setattr", 442}, {"quotactl_fd", 443}, {"open_tree_attr", 467},
		},
		ptrace:    []sysNum{{"ptrace", 117}, {"process_vm_readv", 270}, {"process_vm_writev", 271}},
		cloneUser: []sysNum{{"clone", 220}, {"unshare", 97}},
		noSys:     []sysNum{{"clone3", 435}},
	},
}

// seccompTable returns the table of goarch.
func seccompTable(goarch string) (seccompArch, bool) {
	for _, a := range seccompArches {
		if a.goarch == goarch {
			return a, true
		}
	}
	return seccompArch{}, false
}

// sockFilter is one BPF instruction (struct sock_filter).
type sockFilter struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// seccompProgram returns the filter for goarch as the bytes bwrap's
// --seccomp reads: a call from another ABI (i386 or x32 on x86_64, arm32
// on arm64) kills the process, since its numbers mean other calls; the
// calls above fail as documented; everything else is allowed. It returns
// false for an arch without a table.
func seccompProgram(goarch string, allowPtrace bool) ([]byte, bool) {
	a, ok := seccompTable(goarch)
	if !ok {
		return nil, false
	}
	prog := seccompInsns(a, allowPtrace)
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		out = binary.LittleEndian.AppendUint16(out, in.code)
		out = append(out, in.jt, in.jf)
		out = binary.LittleEndian.AppendUint32(out, in.k)
	}
	return out, true
}

// seccompInsns lays the program out. Jumps only go forward, so the
// shared endings come last:
//
//	ld arch; jeq audit ? +1 : kill
//	ld nr; [jge x32 ? kill]
//	jeq deny… ? eperm; jeq clone… ? flags; jeq clone3 ? enosys
//	ret allow
//	flags: ld args[0]; jset CLONE_NEWUSER ? eperm : allow
//	eperm, enosys, kill
func seccompInsns(a seccompArch, allowPtrace bool) []sockFilter {
	deny := slices.Clone(a.deny)
	if !allowPtrace {
		deny = append(deny, a.ptrace...)
	}
	p := []sockFilter{{code: bpfLdWAbs, k: offArch}, {code: bpfJeqK, k: a.audit}, {code: bpfLdWAbs, k: offNr}}
	killAt := []int{1} // jumps whose false branch goes to kill
	var x32At = -1
	if a.x32 {
		x32At = len(p)
		p = append(p, sockFilter{code: bpfJgeK, k: x32Bit})
	}
	type fixup struct{ at, to int }
	var fix []fixup
	const toEPERM, toFlags, toENOSYS = 0, 1, 2
	for _, s := range deny {
		fix = append(fix, fixup{len(p), toEPERM})
		p = append(p, sockFilter{code: bpfJeqK, k: s.nr})
	}
	for _, s := range a.cloneUser {
		fix = append(fix, fixup{len(p), toFlags})
		p = append(p, sockFilter{code: bpfJeqK, k: s.nr})
	}
	for _, s := range a.noSys {
		fix = append(fix, fixup{len(p), toENOSYS})
		p = append(p, sockFilter{code: bpfJeqK, k: s.nr})
	}
	p = append(p, sockFilter{code: bpfRetK, k: retAllow})
	flags := len(p)
	p = append(p, sockFilter{code: bpfLdWAbs, k: offArg0Low},
		sockFilter{code: bpfJsetK, k: cloneNewUsr, jt: 1},
		sockFilter{code: bpfRetK, k: retAllow})
	eperm := len(p)
	p = append(p, sockFilter{code: bpfRetK, k: retErrno | errEPERM})
	enosys := len(p)
	p = append(p, sockFilter{code: bpfRetK, k: retErrno | errENOSYS})
	kill := len(p)
	p = append(p, sockFilter{code: bpfRetK, k: retKill})

	target := [...]int{toEPERM: eperm, toFlags: flags, toENOSYS: enosys}
	for _, f := range fix {
		p[f.at].jt = jump(f.at, target[f.to])
	}
	for _, at := range killAt {
		p[at].jf = jump(at, kill)
	}
	if x32At >= 0 {
		p[x32At].jt = jump(x32At, kill)
	}
	return p
}

// jump is the offset of a jump at from to to (from the next instruction).
func jump(from, to int) uint8 {
	d := to - from - 1
	if d < 0 || d > 255 {
		panic(fmt.Sprintf("sandbox: seccomp jump from %d to %d out of range", from, to))
	}
	return uint8(d)
}

// stepSeccomp is the filter of a step on this machine's arch (false when
// pestle has no table for it). No recipe field turns it off; adding
// CAP_SYS_PTRACE only lets ptrace and process_vm_* through, inside the
// sandbox's PID namespace.
func stepSeccomp(spec Spec) ([]byte, bool) {
	return seccompProgram(runtime.GOARCH, hasCap(spec.CapAdd, "CAP_SYS_PTRACE") && !hasCap(spec.CapDrop, "CAP_SYS_PTRACE"))
}

func hasCap(list []string, name string) bool {
	for _, c := range list {
		if capName(c) == name {
			return true
		}
	}
	return false
}

// seccompFile returns a pipe holding prog, its write end closed, for bwrap
// to read to the end.
func seccompFile(prog []byte) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer w.Close()
	// The program (a few hundred bytes) fits in the pipe's buffer.
	if _, err := w.Write(prog); err != nil {
		r.Close()
		return nil, fmt.Errorf("sandbox: writing the seccomp filter: %w", err)
	}
	return r, nil
}
