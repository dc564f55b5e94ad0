package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// lintTestPackage packs a tree with a setuid binary (required: setuidgid)
// and a /usr/local file (warning: usrlocal), with a .melange.yaml that may
// disable checks.
func lintTestPackage(t *testing.T, recipe string) string {
	t.Helper()
	src := t.TempDir()
	for _, d := range []string{"usr/bin", "usr/local/share", "var/empty"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	su := filepath.Join(src, "usr/bin/su")
	if err := os.WriteFile(su, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(su, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "usr/local/share/x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// a read-only directory: the temporary extraction must still be removed
	if err := os.MkdirAll(filepath.Join(src, "usr/share/ro"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "usr/share/ro/f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(src, "usr/share/ro"), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "usr/share/ro"), 0o755) })
	out := filepath.Join(t.TempDir(), "demo-1.0-r0.apk")
	opts := apk.WriteOptions{}
	if recipe != "" {
		opts.ExtraControl = map[string][]byte{".melange.yaml": []byte(recipe)}
	}
	if err := apk.WriteFile(out, src, &apk.PackageInfo{Name: "demo", Version: "1.0-r0", Arch: "x86_64"}, opts); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLintCommand(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	plain := lintTestPackage(t, "")
	disabled := lintTestPackage(t, "package:\n  name: demo\n  checks:\n    disabled: [setuidgid]\n")

	cases := []struct {
		name     string
		args     []string
		wantErr  bool
		contains []string
		absent   []string
	}{
		{"required finding fails", []string{plain}, true,
			[]string{"demo: setuidgid: usr/bin/su: setuid file (mode 4755) [required]", "demo: usrlocal: usr/local/share/x: package not named *-compat installs under /usr/local [warning]"}, nil},
		{"checks.disabled of the package's recipe", []string{disabled}, false,
			[]string{"demo: setuidgid: usr/bin/su: setuid file (mode 4755) [warning]"}, nil},
		{"--lint-require replaces the list", []string{"--lint-require", "dev", plain}, false,
			[]string{"demo: usrlocal: "}, []string{"setuidgid"}},
		{"--lint-warn takes a required linter", []string{"--lint-require", "dev", "--lint-warn", "setuidgid,usrlocal", plain}, false,
			[]string{"demo: setuidgid: usr/bin/su: setuid file (mode 4755) [warning]"}, nil},
		{"--lint-require= and --lint-warn=: nothing runs", []string{"--lint-require=", "--lint-warn=", plain}, false,
			[]string{"demo: ok"}, []string{"setuidgid"}},
		{"melange fixtures", fixtureAPKs(t), false,
			[]string{"replayout: ok", "pretend-baselayout: ok", "custom-ca-certs-1: usrlocal: usr/local/share/ca-certificates/cert-a.crt"}, nil},
		{"unreadable package", []string{plain, filepath.Join(t.TempDir(), "missing.apk")}, true, []string{"FAIL ", "missing.apk"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := execCLI(t, append([]string{"lint"}, c.args...)...)
			var ex exitError
			if c.wantErr != (err != nil) || err != nil && (!errors.As(err, &ex) || ex.code != 1) {
				t.Errorf("error %v, want exit 1: %v", err, c.wantErr)
			}
			for _, s := range c.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(out, s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
		})
	}
	// Every temporary extraction was removed, read-only directories too.
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "pestle-lint-*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestLintCommandUsage(t *testing.T) {
	if _, err := execCLI(t, "lint", "--lint-warn", "nosuch", "x.apk"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown linter: %v", err)
	}
	if _, err := execCLI(t, "lint"); err == nil || !strings.Contains(err.Error(), "--list") {
		t.Errorf("no arguments: %v", err)
	}
	out, err := execCLI(t, "lint", "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"libtool/la-files  required", "documentation     off", "strip             warning"} {
		if !strings.Contains(out, s) {
			t.Errorf("--list lacks %q:\n%s", s, out)
		}
	}
}

func fixtureAPKs(t *testing.T) []string {
	t.Helper()
	apks, _ := filepath.Glob(fixture.Path(t, "melange-repo", "x86_64", "*.apk"))
	if len(apks) != 3 {
		t.Fatalf("fixture packages: %v", apks)
	}
	return apks
}

// --persist-lint-results does not write through a default ./packages that
// is a symlink; a named --out-dir is followed.
func TestLintPersistRefusesLinkedDefault(t *testing.T) {
	apks := fixtureAPKs(t)
	t.Chdir(t.TempDir())
	target := t.TempDir()
	if err := os.Symlink(target, "packages"); err != nil {
		t.Fatal(err)
	}
	if _, err := execCLI(t, "lint", "--persist-lint-results", apks[0]); err == nil || !strings.Contains(err.Error(), "--out-dir") {
		t.Fatalf("err = %v, want the link refused", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("written through the link: %v", entries)
	}
	if _, err := execCLI(t, "lint", "--persist-lint-results", "--out-dir", "packages", apks[0]); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(target); len(entries) == 0 {
		t.Error("nothing written into the named --out-dir")
	}
}
