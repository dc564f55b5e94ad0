package apk

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// XattrCapability is the extended attribute that holds file capabilities.
const XattrCapability = "security.capability"

// capNames are the Linux capabilities without "cap_", indexed by number
// (an array: a map literal would be built at every start-up).
var capNames = [...]string{
	0: "chown", 1: "dac_override", 2: "dac_read_search", 3: "fowner", 4: "fsetid", 5: "kill",
	6: "setgid", 7: "setuid", 8: "setpcap", 9: "linux_immutable", 10: "net_bind_service",
	11: "net_broadcast", 12: "net_admin", 13: "net_raw", 14: "ipc_lock", 15: "ipc_owner",
	16: "sys_module", 17: "sys_rawio", 18: "sys_chroot", 19: "sys_ptrace", 20: "sys_pacct",
	21: "sys_admin", 22: "sys_boot", 23: "sys_nice", 24: "sys_resource", 25: "sys_time",
	26: "sys_tty_config", 27: "mknod", 28: "lease", 29: "audit_write", 30: "audit_control",
	31: "setfcap", 32: "mac_override", 33: "mac_admin", 34: "syslog", 35: "wake_alarm",
	36: "block_suspend", 37: "audit_read", 38: "perfmon", 39: "bpf", 40: "checkpoint_restore",
}

// Layout of the security.capability value, revision 2 (what setcap(8)
// writes): a little-endian magic word (revision in the top byte, bit 0 =
// effective), then permitted and inheritable masks for capabilities 0-31,
// then the same for 32-63.
const (
	vfsCapRevision2  = 0x02000000
	vfsCapEffective  = 0x000001
	vfsCapSizeRev2   = 20
	capFlagsAccepted = "eip"
)

// FileCapabilities encodes a recipe's setcap add: map, capability names
// (one or several, comma-separated, with or without "cap_", any case) to
// flags ("ep", "+eip", "=p": letters e, i, p), as the value of the
// security.capability xattr. The effective flag is one bit for the whole
// file, so it is set when any entry asks for it.
func FileCapabilities(add map[string]string) ([]byte, error) {
	if len(add) == 0 {
		return nil, fmt.Errorf("no capability to add")
	}
	keys := make([]string, 0, len(add))
	for k := range add {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var perm, inh [2]uint32
	magic := uint32(vfsCapRevision2)
	for _, k := range keys {
		flags := strings.TrimLeft(strings.ToLower(strings.TrimSpace(add[k])), "+=")
		if flags == "" || strings.Trim(flags, capFlagsAccepted) != "" {
			return nil, fmt.Errorf("capabilities %q: flags %q: want letters of e (effective), i (inheritable) and p (permitted), e.g. \"+ep\"", k, add[k])
		}
		for _, name := range strings.Split(k, ",") {
			name = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "cap_")
			i := slices.Index(capNames[:], name)
			if i < 0 || name == "" {
				return nil, fmt.Errorf("unknown capability %q (e.g. cap_net_bind_service, cap_net_raw, cap_net_admin)", name)
			}
			n := uint(i)
			if strings.Contains(flags, "p") {
				perm[n/32] |= 1 << (n % 32)
			}
			if strings.Contains(flags, "i") {
				inh[n/32] |= 1 << (n % 32)
			}
		}
		if strings.Contains(flags, "e") {
			magic |= vfsCapEffective
		}
	}
	out := make([]byte, vfsCapSizeRev2)
	binary.LittleEndian.PutUint32(out[0:], magic)
	binary.LittleEndian.PutUint32(out[4:], perm[0])
	binary.LittleEndian.PutUint32(out[8:], inh[0])
	binary.LittleEndian.PutUint32(out[12:], perm[1])
	binary.LittleEndian.PutUint32(out[16:], inh[1])
	return out, nil
}
