package install

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// installedNames lists the P: lines of the installed database in root.
func installedNames(t *testing.T, root string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "lib/apk/db/installed"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range strings.Split(string(data), "\n") {
		if n, ok := strings.CutPrefix(l, "P:"); ok {
			names = append(names, n)
		}
	}
	return names
}

func mustNotExist(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := os.Lstat(filepath.Join(root, n)); err == nil {
			t.Errorf("%s is in the root after the package was refused", n)
		}
	}
}

// TestRefusedPackageLeavesNothing: a package refused half-way through its
// files (writing through a symlink that leaves the root, or a file another
// package owns) leaves none of its files or directories behind, the files
// it replaced are back, and the database lists only the packages before it.
func TestRefusedPackageLeavesNothing(t *testing.T) {
	a := writePkg(t, &apk.PackageInfo{Name: "a", Version: "1-r0", Arch: "x86_64"},
		map[string]string{"etc/motd": "from a", "opt/out": "->/tmp"}, nil)
	escape := writePkg(t, &apk.PackageInfo{Name: "escape", Version: "1-r0", Arch: "x86_64"},
		map[string]string{"aaa/first": "x", "etc/issue": "escape", "opt/out/file": "x"}, nil)
	conflict := writePkg(t, &apk.PackageInfo{Name: "conflict", Version: "1-r0", Arch: "x86_64"},
		map[string]string{"aaa/first": "x", "etc/motd": "from conflict", "zzz/last": "x"}, nil)

	root := t.TempDir()
	err := Install(context.Background(), root, []Package{a, escape}, Options{})
	if err == nil || !strings.Contains(err.Error(), "escape") {
		t.Fatalf("got %v, want the escape refused", err)
	}
	mustNotExist(t, root, "aaa", "etc/issue")
	if got := installedNames(t, root); strings.Join(got, " ") != "a" {
		t.Errorf("database lists %v, want [a]", got)
	}

	root = t.TempDir()
	err = Install(context.Background(), root, []Package{a, conflict}, Options{})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("got %v, want a conflict", err)
	}
	mustNotExist(t, root, "aaa", "zzz")
	if motd, _ := os.ReadFile(filepath.Join(root, "etc/motd")); string(motd) != "from a" {
		t.Errorf("etc/motd is %q: the refused package's copy stayed", motd)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "etc"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".pestle-") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	if got := installedNames(t, root); strings.Join(got, " ") != "a" {
		t.Errorf("database lists %v, want [a]", got)
	}
}

const asNobodyEnv = "PESTLE_INSTALL_TEST_AS_NOBODY"

// TestDeviceNodes: as root a package's device node and FIFO are created
// with their numbers; as anyone else the package is refused with a message
// and leaves nothing. Run as root, the test re-runs itself as nobody too.
func TestDeviceNodes(t *testing.T) {
	pkg := os.Getenv(asNobodyEnv)
	if pkg == "" {
		fixture.NeedRoot(t, "to pack a device node; CI runs this as root and as nobody")
		pkg = devicePackage(t)
	}
	root := t.TempDir()
	err := Install(context.Background(), root, []Package{{Path: pkg}}, Options{})
	if os.Geteuid() != 0 {
		if err == nil || !strings.Contains(err.Error(), "creating device nodes needs root") {
			t.Fatalf("got %v, want the device node refused", err)
		}
		mustNotExist(t, root, "dev", "aaa")
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(root, "dev/null"))
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("dev/null: %v %v", fi, err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Rdev != uint64(1<<8|3) {
		t.Errorf("dev/null is %d, want 1:3", st.Rdev)
	}
	if fi, err := os.Lstat(filepath.Join(root, "run/fifo")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("run/fifo: %v %v", fi, err)
	}

	// Again as nobody, on a copy nobody can read.
	dir, err := os.MkdirTemp("", "pestle-devs-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, _ := os.Executable()
	for src, dst := range map[string]string{self: "install.test", pkg: "devs.apk"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(filepath.Join(dir, "install.test"), "-test.run=^TestDeviceNodes$", "-test.count=1", "-test.v")
	c.Env = append(os.Environ(), asNobodyEnv+"="+filepath.Join(dir, "devs.apk"), "TMPDIR="+dir)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDeviceNodes") {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}

// devicePackage packs a tree with a regular file, a FIFO and a character
// device (1:3) and returns the package's path.
func devicePackage(t *testing.T) string {
	tree := t.TempDir()
	for _, d := range []string{"aaa", "dev", "run"} {
		if err := os.Mkdir(filepath.Join(tree, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tree, "aaa/first"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(filepath.Join(tree, "dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(tree, "run/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "devs.apk")
	info := &apk.PackageInfo{Name: "devs", Version: "1-r0", Arch: "x86_64"}
	if err := apk.WriteFile(out, tree, info, apk.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}
