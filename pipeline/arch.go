package pipeline

import (
	"fmt"
	"runtime"
	"strings"
)

// Arch is a target architecture under its apk and Go/OCI names.
type Arch struct {
	APK string // x86_64, aarch64, armv7, …
	Go  string // amd64, arm64, arm/v7, … (build.goarch)
}

var arches = []Arch{
	{"x86_64", "amd64"}, {"aarch64", "arm64"}, {"x86", "386"}, {"armhf", "arm/v6"},
	{"armv7", "arm/v7"}, {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
	{"riscv64", "riscv64"}, {"loongarch64", "loong64"},
}

// ParseArch accepts an apk name (x86_64) or a Go/OCI name (amd64); ""
// means the host's architecture.
func ParseArch(s string) (Arch, error) {
	if s == "" {
		s = runtime.GOARCH
		if s == "arm" {
			s = "arm/v7"
		}
	}
	for _, a := range arches {
		if s == a.APK || s == a.Go {
			return a, nil
		}
	}
	names := make([]string, 0, 2*len(arches))
	for _, a := range arches {
		names = append(names, a.APK, a.Go)
	}
	return Arch{}, fmt.Errorf("unknown architecture %q (known: %s)", s, strings.Join(names, ", "))
}

// TripletGNU returns the GNU triplet with the given libc flavor ("gnu" or
// "musl"), e.g. x86_64-pc-linux-gnu.
func (a Arch) TripletGNU(flavor string) string {
	switch a.APK {
	case "x86":
		return "i486-pc-linux-" + flavor
	case "x86_64":
		return "x86_64-pc-linux-" + flavor
	case "aarch64":
		return "aarch64-unknown-linux-" + flavor
	case "armhf":
		return "arm-unknown-linux-" + flavor + "eabihf"
	case "armv7":
		return "armv7l-unknown-linux-" + flavor + "eabihf"
	case "ppc64le":
		return "powerpc64le-unknown-linux-" + flavor
	case "s390x":
		return "s390x-ibm-linux-" + flavor
	}
	return a.Go + "-unknown-linux-" + flavor
}

// TripletRust returns the Rust target triplet, e.g. x86_64-unknown-linux-gnu.
func (a Arch) TripletRust(flavor string) string {
	switch a.APK {
	case "x86":
		return "i686-unknown-linux-" + flavor
	case "armhf":
		return "armv6-unknown-linux-" + flavor + "eabihf"
	case "armv7":
		return "armv7-unknown-linux-" + flavor + "eabihf"
	case "ppc64le":
		return "powerpc64le-unknown-linux-" + flavor
	case "x86_64", "aarch64", "s390x":
		return a.APK + "-unknown-linux-" + flavor
	}
	return a.Go + "-unknown-linux-" + flavor
}
