package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// testSigningKey is a fixed key kept with the apk package's test data.
func testSigningKey(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "apk", "testdata", "test.rsa"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func packTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tree")
	os.MkdirAll(filepath.Join(dir, "usr", "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "usr", "bin", "hello"), []byte("#!/bin/sh\necho hello\n"), 0o755)
	return dir
}

func TestPackDefaultPathAndFlags(t *testing.T) {
	tree, key := packTree(t), testSigningKey(t)
	t.Chdir(t.TempDir())
	t.Setenv("SOURCE_DATE_EPOCH", "1234")
	out, err := execCLI(t, "pack", tree, "--name", "hello", "--version", "2.12.1", "--epoch", "2", "--arch", "amd64",
		"--depends", "so:libc.so.6,busybox", "--depends", "ca-certificates", "--provides", "cmd:hello=2.12.1-r2",
		"--license", "GPL-3.0", "--provider-priority", "10", "--signing-key", key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("packages", "x86_64", "hello-2.12.1-r2.apk")
	if !strings.HasPrefix(out, "wrote "+path+" (") || !strings.Contains(out, "signed with test.rsa.pub") || strings.Count(out, "\n") != 1 {
		t.Errorf("output %q", out)
	}
	kr, _ := keys.LoadKeyring(key + ".pub")
	pkg, err := apk.ReadFile(path, apk.ReadOptions{Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	i := pkg.Info
	if i.Arch != "x86_64" || i.Origin != "hello" || i.License != "GPL-3.0" || i.ProviderPriority != 10 || i.BuildDate != 1234 ||
		strings.Join(i.Depends, " ") != "so:libc.so.6 busybox ca-certificates" || pkg.Verified != "test.rsa.pub" {
		t.Errorf("package info %+v verified by %q", i, pkg.Verified)
	}
	// The flag wins over the environment; -o names the file.
	if _, err := execCLI(t, "pack", tree, "--name", "hello", "--version", "1", "--source-date-epoch", "99", "-o", "x.apk"); err != nil {
		t.Fatal(err)
	}
	pkg, err = apk.ReadFile("x.apk", apk.ReadOptions{})
	if err != nil || pkg.Info.BuildDate != 99 || len(pkg.Signatures) != 0 || pkg.Info.Arch != apk.HostArch() {
		t.Fatalf("%v %+v", err, pkg)
	}
}

func TestPackErrors(t *testing.T) {
	tree := packTree(t)
	t.Chdir(t.TempDir())
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"pack", tree, "--version", "1"}, `"name" not set`},
		{[]string{"pack", tree, "--name", "x", "--version", "1", "--arch", "sparc"}, "unknown architecture"},
		{[]string{"pack", tree, "--name", "x", "--version", "1.0-r3"}, "--epoch"},
		{[]string{"pack", tree, "--name", "x", "--version", "1", "--signing-key", "missing.rsa"}, "pestle keygen"},
		{[]string{"pack", filepath.Join(tree, "nope"), "--name", "x", "--version", "1"}, "no such file"},
	} {
		if _, err := execCLI(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v, want %q", c.args, err, c.want)
		}
	}
	if ents, _ := os.ReadDir("packages/" + apk.HostArch()); len(ents) != 0 {
		t.Errorf("failed packs left %d files", len(ents))
	}
}

func TestSignAndVerify(t *testing.T) {
	tree, key := packTree(t), testSigningKey(t)
	orig, _ := os.ReadFile(fixture.Path(t, "melange-repo/x86_64/pretend-baselayout-1.0.0-r0.apk"))
	t.Chdir(t.TempDir())
	if _, err := execCLI(t, "pack", tree, "--name", "hello", "--version", "1", "-o", "hello.apk"); err != nil {
		t.Fatal(err)
	}
	// A melange package re-signed with our key keeps its control and data.
	os.WriteFile("pretend.apk", orig, 0o644)
	out, err := execCLI(t, "sign", "-k", key, "hello.apk", "pretend.apk")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out != "signed hello.apk with test.rsa.pub\nsigned pretend.apk with test.rsa.pub\n" {
		t.Errorf("sign output %q", out)
	}
	resigned, _ := os.ReadFile("pretend.apk")
	if !bytes.HasSuffix(resigned, orig[647:]) {
		t.Error("re-signing changed the control or data member")
	}
	out, err = execCLI(t, "verify", "--keyring", key+".pub", "hello.apk", "pretend.apk")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "OK  hello-1-r0  (signed by test.rsa.pub)\nOK  pretend-baselayout-1.0.0-r0  (signed by test.rsa.pub)\n"
	if out != want {
		t.Errorf("verify output %q, want %q", out, want)
	}
	// A corrupted package is not re-signed and stays as it was.
	bad := bytes.Clone(resigned)
	bad[len(bad)-100] ^= 1
	os.WriteFile("bad.apk", bad, 0o644)
	out, err = execCLI(t, "sign", "-k", key, "bad.apk")
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 || !strings.HasPrefix(out, "FAIL bad.apk: corrupted: datahash mismatch") {
		t.Errorf("signing a corrupted package: %v %q", err, out)
	}
	if now, _ := os.ReadFile("bad.apk"); !bytes.Equal(now, bad) {
		t.Error("a failed sign changed the file")
	}
	// What is not a package at all is told as verify tells it.
	os.WriteFile("text.apk", []byte("not an apk\n"), 0o644)
	for _, args := range [][]string{{"sign", "-k", key, "text.apk"}, {"verify", "--keyring", key + ".pub", "text.apk"}} {
		out, err = execCLI(t, args...)
		if want := "FAIL text.apk: corrupted: gzip member 1 at byte 0: not a gzip header\n"; err == nil || out != want {
			t.Errorf("%s of a text file: %v %q, want %q", args[0], err, out, want)
		}
	}
}

func TestVerifyFixtures(t *testing.T) {
	melangeKey := fixture.Path(t, "melange-repo/melange.rsa.pub")
	repo := fixture.Path(t, "melange-repo/x86_64")
	baselayout := fixture.Path(t, "alpine-316/alpine-baselayout-3.2.0-r23.apk")
	hello := fixture.Path(t, "wolfi/hello-wolfi-2.12.1-r0.apk")
	out, err := execCLI(t, "verify", "-k", melangeKey, filepath.Join(repo, "pretend-baselayout-1.0.0-r0.apk"),
		filepath.Join(repo, "replayout-1.0.0-r0.apk"), baselayout, hello)
	var ex exitError
	if !errors.As(err, &ex) || ex.code != 1 {
		t.Fatalf("err = %v, want exit code 1", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	want := []string{
		"OK  pretend-baselayout-1.0.0-r0  (signed by melange.rsa.pub)",
		"OK  replayout-1.0.0-r0  (signed by melange.rsa.pub)",
		"FAIL " + baselayout + `: untrusted signature: no key named "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub" in the keyring`,
		"FAIL " + hello + `: bad signature: key "melange.rsa.pub" does not verify it`,
	}
	if len(lines) != len(want) {
		t.Fatalf("output:\n%s", out)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d: %q, want prefix %q", i, lines[i], want[i])
		}
	}
	// Without -k, the key of the signer's name that lies beside the
	// repository is named.
	out, _ = execCLI(t, "verify", filepath.Join(repo, "replayout-1.0.0-r0.apk"))
	if want := "(there is one: -k " + melangeKey + ")\n"; !strings.HasSuffix(out, want) {
		t.Errorf("untrusted, key nearby: %q, want it to end in %q", out, want)
	}
	out, err = execCLI(t, "verify", "--allow-untrusted", baselayout)
	if err != nil || out != "OK  alpine-baselayout-3.2.0-r23  (signature not checked: --allow-untrusted)\n" {
		t.Errorf("--allow-untrusted: %v %q", err, out)
	}
}
