package apk

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// XattrCapability is the extended attribute that holds file capabilities.
const XattrCapability = "security.capability"

// capNumbers are the Linux capability numbers, by name without "cap_".
var capNumbers = map[string]uint{
	"chown": 0, "dac_override": 1, "dac_read_search": 2, "fowner": 3, "fsetid": 4, "kill": 5,
	"setgid": 6, "setuid": 7, "setpcap": 8, "linux_immutable": 9, "net_bind_service": 10,
	"net_broadcast": 11, "net_admin": 12, "net_raw": 13, "ipc_lock": 14, "ipc_owner": 15,
	"sys_module": 16, "sys_rawio": 17, "sys_chroot": 18, "sys_ptrace": 19, "sys_pacct": 20,
	"sys_admin": 21, "sys_boot": 22, "sys_nice": 23, "sys_resource": 24, "sys_time": 25,
	"sys_tty_config": 26, "mknod": 27, "lease": 28, "audit_write": 29, "audit_control": 30,
	"setfcap": 31, "mac_override": 32, "mac_admin": 33, "syslog": 34, "wake_alarm": 35,
	"block_suspend": 36, "audit_read": 37, "perfmon": 38, "bpf": 39, "checkpoint_restore": 40,
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
			n, ok := capNumbers[name]
			if !ok {
				return nil, fmt.Errorf("unknown capability %q (e.g. cap_net_bind_service, cap_net_raw, cap_net_admin)", name)
			}
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
