package apk

import (
	"fmt"
	"runtime"
	"slices"
)

// goArches pairs Go's GOARCH names with apk's architecture names. Tables
// here are arrays, not map literals, which are built by code at start-up.
var goArches = [...][2]string{
	{"amd64", "x86_64"},
	{"arm64", "aarch64"},
	{"386", "x86"},
	{"arm", "armv7"},
	{"ppc64le", "ppc64le"},
	{"s390x", "s390x"},
	{"riscv64", "riscv64"},
	{"loong64", "loongarch64"},
}

var apkArches = [...]string{
	"x86_64", "aarch64", "x86", "armv7", "armhf",
	"ppc64le", "s390x", "riscv64", "loongarch64", "noarch",
}

// apkArchOfGo returns the apk name of a Go architecture name.
func apkArchOfGo(goarch string) (string, bool) {
	for _, p := range goArches {
		if p[0] == goarch {
			return p[1], true
		}
	}
	return "", false
}

// HostArch is the apk architecture of the machine pestle runs on
// (x86_64 on amd64, aarch64 on arm64).
func HostArch() string {
	if a, ok := apkArchOfGo(runtime.GOARCH); ok {
		return a
	}
	return runtime.GOARCH
}

// NormalizeArch turns an architecture given by a user into apk's name:
// apk names pass through, Go names (amd64, arm64, ...) are translated, and
// "" means the host's. Unknown names are an error that lists the known ones.
func NormalizeArch(arch string) (string, error) {
	if arch == "" {
		return HostArch(), nil
	}
	if slices.Contains(apkArches[:], arch) {
		return arch, nil
	}
	if a, ok := apkArchOfGo(arch); ok {
		return a, nil
	}
	return "", fmt.Errorf("unknown architecture %q: use x86_64 (amd64), aarch64 (arm64), x86, armv7, armhf, ppc64le, s390x, riscv64, loongarch64 or noarch", arch)
}
