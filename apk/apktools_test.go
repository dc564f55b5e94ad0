package apk

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// TestApkToolsAcceptsOurPackages runs the reference client, when it is
// installed, on a package written here: `apk verify` must pass and
// `apk add` into an empty root must install it without a warning. The
// apk-tools package is not in Debian 12's archive, so this test skips on
// machines without an `apk` binary.
func TestApkToolsAcceptsOurPackages(t *testing.T) {
	apkBin, err := exec.LookPath("apk")
	fixture.Optional(t, "apk-tools, the reference client (Debian 12 does not package it)", err)
	src := t.TempDir()
	buildGoldenTree(t, src)
	work := t.TempDir()
	keysDir := filepath.Join(work, "keys")
	os.Mkdir(keysDir, 0o755)
	pub, err := keys.EncodePublic(&goldenKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(keysDir, "test.rsa.pub"), pub, 0o644)
	pkg := filepath.Join(work, "hello-2.12.1-r0.apk")
	info := goldenInfo()
	info.Depends = nil // an empty root provides nothing
	if err := WriteFile(pkg, src, info, goldenOptions(t)); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(apkBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("apk %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if strings.Contains(strings.ToUpper(string(out)), "WARNING") {
			t.Errorf("apk %s warned:\n%s", strings.Join(args, " "), out)
		}
		return string(out)
	}
	run("--keys-dir", keysDir, "verify", pkg)
	root := filepath.Join(work, "root")
	run("add", "--root", root, "--initdb", "--no-network", "--no-scripts", "--allow-untrusted", pkg)
	for _, p := range []string{"bin/hello", "usr/lib/libx.so", "usr/share/doc/hello/README.hard"} {
		if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
			t.Errorf("apk did not install %s: %v", p, err)
		}
	}
}
