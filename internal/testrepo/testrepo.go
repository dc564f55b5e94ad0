package testrepo

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// NeedSandbox skips the test outside CI when bwrap or a static busybox is
// missing; in CI (CI=true) their absence fails it.
func NeedSandbox(t testing.TB) {
	t.Helper()
	fixture.NeedTool(t, "bwrap")
	fixture.NeedFile(t, "/bin/busybox", "busybox-static")
}

// Busybox writes the repository into dir (<dir>/<arch>/ and its key
// <dir>/base.rsa, <dir>/base.rsa.pub) and returns the public key's path.
func Busybox(dir string) (string, error) {
	key, err := keys.Generate(2048)
	if err != nil {
		return "", err
	}
	if err := keys.WritePair(filepath.Join(dir, "base.rsa"), key, false); err != nil {
		return "", err
	}
	tree, err := os.MkdirTemp("", "pestle-busybox-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tree)
	if err := busyboxTree(tree); err != nil {
		return "", err
	}
	info := &apk.PackageInfo{Name: "busybox", Version: "1.35.0-r0", Arch: apk.HostArch(), Provides: []string{"/bin/sh"}, Description: "static busybox"}
	arch := filepath.Join(dir, apk.HostArch())
	signer := &keys.Signer{Key: key, Name: "base.rsa.pub"}
	opts := apk.WriteOptions{Signer: signer}
	if err := apk.WriteFile(filepath.Join(arch, info.Filename()), tree, info, opts); err != nil {
		return "", err
	}
	err = index.Update(arch, []*apk.PackageInfo{info}, index.UpdateOptions{Signer: signer})
	return filepath.Join(dir, "base.rsa.pub"), err
}

// busyboxTree lays out /bin/busybox and one symlink per applet in tree.
func busyboxTree(tree string) error {
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(tree, d), 0o755); err != nil {
			return err
		}
	}
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, "bin/busybox"), data, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("/bin/busybox", "--list-full").Output()
	if err != nil {
		return fmt.Errorf("listing busybox applets: %w", err)
	}
	for _, applet := range strings.Fields(string(out)) {
		if applet == "bin/busybox" {
			continue
		}
		if err := os.Symlink("/bin/busybox", filepath.Join(tree, applet)); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return nil
}
