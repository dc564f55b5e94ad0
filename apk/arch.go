package apk

import (
	"fmt"
	"runtime"
)

// goArches maps Go's GOARCH names to apk's architecture names.
var goArches = map[string]string{
	"amd64":   "x86_64",
	"arm64":   "aarch64",
	"386":     "x86",
	"arm":     "armv7",
	"ppc64le": "ppc64le",
	"s390x":   "s390x",
	"riscv64": "riscv64",
	"loong64": "loongarch64",
}

var apkArches = map[string]bool{
	"x86_64": true, "aarch64": true, "x86": true, "armv7": true, "armhf": true,
	"ppc64le": true, "s390x": true, "riscv64": true, "loongarch64": true, "noarch": true,
}

// HostArch is the apk architecture of the machine pestle runs on
// (x86_64 on amd64, aarch64 on arm64).
func HostArch() string {
	if a, ok := goArches[runtime.GOARCH]; ok {
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
	if apkArches[arch] {
		return arch, nil
	}
	if a, ok := goArches[arch]; ok {
		return a, nil
	}
	return "", fmt.Errorf("unknown architecture %q: use x86_64 (amd64), aarch64 (arm64), x86, armv7, armhf, ppc64le, s390x, riscv64, loongarch64 or noarch", arch)
}
