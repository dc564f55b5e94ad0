package sandbox

import (
	"encoding/binary"
	"errors"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
)

// TestSeccompGolden pins the program bytes bwrap is given, per arch and
// with or without the ptrace calls.
func TestSeccompGolden(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		for _, ptrace := range []bool{false, true} {
			name := arch
			if ptrace {
				name += "-ptrace"
			}
			t.Run(name, func(t *testing.T) {
				prog, ok := seccompProgram(arch, ptrace)
				if !ok {
					t.Fatalf("no filter for %s", arch)
				}
				fixture.Golden(t, filepath.Join("testdata", "seccomp", name+".bpf"), prog, *update)
			})
		}
	}
	if _, ok := seccompProgram("riscv64", false); ok {
		t.Error("a filter for an arch without a table")
	}
}

// seccompData is the input of one run: struct seccomp_data's fields.
type seccompData struct {
	nr   uint32
	arch uint32
	args [6]uint64
}

func (d seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], d.nr)
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	binary.LittleEndian.PutUint64(b[8:], 0x7f0012345678) // instruction pointer
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// runBPF interprets a seccomp program the way the kernel does for the
// instructions a filter may hold; it fails the test on anything else, a
// load out of seccomp_data or a jump past the end.
func runBPF(t *testing.T, prog []byte, data []byte) uint32 {
	t.Helper()
	if len(prog)%8 != 0 || len(prog) == 0 || len(prog)/8 > 4096 {
		t.Fatalf("program of %d bytes", len(prog))
	}
	n := len(prog) / 8
	var acc uint32
	for pc := 0; pc < n; pc++ {
		in := prog[8*pc:]
		code := binary.LittleEndian.Uint16(in)
		jt, jf := int(in[2]), int(in[3])
		k := binary.LittleEndian.Uint32(in[4:])
		jump := func(cond bool) {
			if cond {
				pc += jt
			} else {
				pc += jf
			}
			if pc+1 >= n {
				t.Fatalf("jump past the end at %d", pc)
			}
		}
		switch code {
		case bpfLdWAbs:
			if k%4 != 0 || int(k)+4 > len(data) {
				t.Fatalf("load of offset %d", k)
			}
			acc = binary.LittleEndian.Uint32(data[k:])
		case bpfJeqK:
			jump(acc == k)
		case bpfJgeK:
			jump(acc >= k)
		case bpfJsetK:
			jump(acc&k != 0)
		case bpfRetK:
			return k
		default:
			t.Fatalf("instruction %#x at %d", code, pc)
		}
	}
	t.Fatal("the program ran off its end")
	return 0
}

const (
	auditX86_64  = 0xc000003e
	auditI386    = 0x40000003
	auditAARCH64 = 0xc00000b7
	auditARM     = 0x40000028
	eperm        = retErrno | 1
	enosys       = retErrno | 38
)

func TestSeccompDecisions(t *testing.T) {
	type call struct {
		name   string
		arch   string
		ptrace bool // CAP_SYS_PTRACE added
		data   seccompData
		want   uint32
	}
	cases := []call{
		// x86_64: read, write, execve, openat, clone of a thread/fork
		{"read", "amd64", false, seccompData{nr: 0, arch: auditX86_64}, retAllow},
		{"execve", "amd64", false, seccompData{nr: 59, arch: auditX86_64}, retAllow},
		{"openat", "amd64", false, seccompData{nr: 257, arch: auditX86_64}, retAllow},
		{"fork via clone", "amd64", false, seccompData{nr: 56, arch: auditX86_64, args: [6]uint64{0x01200011}}, retAllow},
		{"clone NEWNS|NEWPID", "amd64", false, seccompData{nr: 56, arch: auditX86_64, args: [6]uint64{0x20020000}}, retAllow},
		{"clone NEWUSER", "amd64", false, seccompData{nr: 56, arch: auditX86_64, args: [6]uint64{0x10000000 | 17}}, eperm},
		{"clone NEWUSER, high word set", "amd64", false, seccompData{nr: 56, arch: auditX86_64, args: [6]uint64{0xffffffff_10000000}}, eperm},
		{"unshare NEWUSER|NEWNS", "amd64", false, seccompData{nr: 272, arch: auditX86_64, args: [6]uint64{0x10020000}}, eperm},
		{"unshare NEWNS", "amd64", false, seccompData{nr: 272, arch: auditX86_64, args: [6]uint64{0x00020000}}, retAllow},
		{"clone3", "amd64", false, seccompData{nr: 435, arch: auditX86_64}, enosys},
		{"mount", "amd64", false, seccompData{nr: 165, arch: auditX86_64}, eperm},
		{"umount2", "amd64", false, seccompData{nr: 166, arch: auditX86_64}, eperm},
		{"fsopen", "amd64", false, seccompData{nr: 430, arch: auditX86_64}, eperm},
		{"open_tree_attr", "amd64", false, seccompData{nr: 467, arch: auditX86_64}, eperm},
		{"iopl", "amd64", false, seccompData{nr: 172, arch: auditX86_64}, eperm},
		{"bpf", "amd64", false, seccompData{nr: 321, arch: auditX86_64}, eperm},
		{"keyctl", "amd64", false, seccompData{nr: 250, arch: auditX86_64}, eperm},
		{"ptrace", "amd64", false, seccompData{nr: 101, arch: auditX86_64}, eperm},
		{"ptrace with CAP_SYS_PTRACE", "amd64", true, seccompData{nr: 101, arch: auditX86_64}, retAllow},
		{"process_vm_readv", "amd64", false, seccompData{nr: 310, arch: auditX86_64}, eperm},
		{"mount with CAP_SYS_PTRACE", "amd64", true, seccompData{nr: 165, arch: auditX86_64}, eperm},
		{"x32 read", "amd64", false, seccompData{nr: 0x40000000, arch: auditX86_64}, retKill},
		{"x32 mount", "amd64", false, seccompData{nr: 0x40000000 + 165, arch: auditX86_64}, retKill},
		{"i386 mount (21)", "amd64", false, seccompData{nr: 21, arch: auditI386}, retKill},
		{"i386 getpid", "amd64", false, seccompData{nr: 20, arch: auditI386}, retKill},
		{"aarch64 on x86_64", "amd64", false, seccompData{nr: 40, arch: auditAARCH64}, retKill},
		{"settimeofday (left to capabilities)", "amd64", false, seccompData{nr: 164, arch: auditX86_64}, retAllow},
		{"highest number", "amd64", false, seccompData{nr: 0x3fffffff, arch: auditX86_64}, retAllow},
		// aarch64
		{"read", "arm64", false, seccompData{nr: 63, arch: auditAARCH64}, retAllow},
		{"mount", "arm64", false, seccompData{nr: 40, arch: auditAARCH64}, eperm},
		{"umount2", "arm64", false, seccompData{nr: 39, arch: auditAARCH64}, eperm},
		{"165 is getrusage here", "arm64", false, seccompData{nr: 165, arch: auditAARCH64}, retAllow},
		{"clone NEWUSER", "arm64", false, seccompData{nr: 220, arch: auditAARCH64, args: [6]uint64{0x10000000}}, eperm},
		{"clone of a fork", "arm64", false, seccompData{nr: 220, arch: auditAARCH64, args: [6]uint64{0x01200011}}, retAllow},
		{"unshare NEWUSER", "arm64", false, seccompData{nr: 97, arch: auditAARCH64, args: [6]uint64{0x10000000}}, eperm},
		{"clone3", "arm64", false, seccompData{nr: 435, arch: auditAARCH64}, enosys},
		{"ptrace", "arm64", false, seccompData{nr: 117, arch: auditAARCH64}, eperm},
		{"ptrace with CAP_SYS_PTRACE", "arm64", true, seccompData{nr: 117, arch: auditAARCH64}, retAllow},
		{"numbers above x32's bit are native", "arm64", false, seccompData{nr: 0x40000000, arch: auditAARCH64}, retAllow},
		{"arm32 call", "arm64", false, seccompData{nr: 21, arch: auditARM}, retKill},
		{"x86_64 call", "arm64", false, seccompData{nr: 165, arch: auditX86_64}, retKill},
	}
	for _, c := range cases {
		t.Run(c.arch+"/"+c.name, func(t *testing.T) {
			prog, _ := seccompProgram(c.arch, c.ptrace)
			if got := runBPF(t, prog, c.data.bytes()); got != c.want {
				t.Errorf("got %#x, want %#x", got, c.want)
			}
		})
	}
}

// TestSeccompEveryListedCall runs each call of each table through the
// program: all of them are refused with their documented errno.
func TestSeccompEveryListedCall(t *testing.T) {
	for _, a := range seccompArches {
		name := a.goarch
		prog, _ := seccompProgram(name, false)
		check := func(list []sysNum, want uint32) {
			for _, s := range list {
				if got := runBPF(t, prog, seccompData{nr: s.nr, arch: a.audit}.bytes()); got != want {
					t.Errorf("%s %s (%d): got %#x, want %#x", name, s.name, s.nr, got, want)
				}
			}
		}
		check(a.deny, eperm)
		check(a.ptrace, eperm)
		check(a.noSys, enosys)
		for _, s := range a.cloneUser {
			got := runBPF(t, prog, seccompData{nr: s.nr, arch: a.audit, args: [6]uint64{cloneNewUsr}}.bytes())
			if got != eperm {
				t.Errorf("%s %s(CLONE_NEWUSER): got %#x", name, s.name, got)
			}
		}
	}
}

func TestStepSeccompIgnoresRecipeDrops(t *testing.T) {
	with, ok1 := stepSeccomp(Spec{CapAdd: []string{"sys_ptrace"}})
	dropped, ok2 := stepSeccomp(Spec{CapAdd: []string{"sys_ptrace"}, CapDrop: []string{"CAP_SYS_PTRACE"}})
	plain, ok3 := stepSeccomp(Spec{CapDrop: []string{"ALL"}})
	if !ok1 || !ok2 || !ok3 {
		fixture.Need(t, "a seccomp filter for "+runtime.GOARCH, errors.New("pestle has none for this architecture"))
	}
	if string(with) == string(plain) || string(dropped) != string(plain) {
		t.Error("CAP_SYS_PTRACE must let ptrace through only while it is kept")
	}
}
