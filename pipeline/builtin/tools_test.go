package builtin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNpmInstall uses a stand-in for npm that records what it is asked to
// do, and the host's node for the overrides.
func TestNpmInstall(t *testing.T) {
	s := newSandbox(t, "semver")
	s.tool("node")
	write(t, s.extra, map[string]string{"npm": "#!/bin/sh\n" +
		"echo \"$*\" >> \"$HOME/npm-calls.txt\"\n" +
		"[ -f package.json ] && cp package.json \"$HOME/seen.json\"\n" +
		"exit 0\n"})
	s.mustRun("npm/install", "semver", map[string]string{
		"package": "@scope/semver", "version": "7.0.2",
		"overrides": "lru-cache@^10.2.0  # CVE fix\nyallist@4.0.0, @types/node@20.11.0\n",
	})
	prefix := s.pkgdir("semver") + "/usr/"
	calls := readLines(t, filepath.Join(s.ws, "npm-calls.txt"))
	want := []string{"install -g @scope/semver@7.0.2 -prefix " + prefix, "install --install-strategy=shallow ."}
	if strings.Join(calls, "|") != strings.Join(want, "|") {
		t.Errorf("npm calls %q, want %q", calls, want)
	}
	seen, err := os.ReadFile(filepath.Join(s.ws, "seen.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"@scope/semver": "7.0.2"`, `"lru-cache": "^10.2.0"`, `"yallist": "4.0.0"`, `"@types/node": "20.11.0"`} {
		if !strings.Contains(string(seen), w) {
			t.Errorf("package.json lacks %s:\n%s", w, seen)
		}
	}
	if exists(prefix + "lib/package.json") {
		t.Error("package.json was left in the package")
	}

	_, err = s.run("npm/install", "semver", map[string]string{"package": "x", "version": "1", "npm-package": "yarn"})
	if err == nil || !strings.Contains(err.Error(), "must be npm or pnpm") {
		t.Errorf("npm-package: yarn: %v", err)
	}
}

// recorder is a stand-in for a build tool: it appends its name, DESTDIR
// (or RUSTFLAGS) and arguments to calls.txt in HOME, then runs the rest
// of the script (for side effects).
func recorder(name, then string) string {
	return "#!/bin/sh\n" +
		"echo \"" + name + " DESTDIR=${DESTDIR:-} RUSTFLAGS=${RUSTFLAGS:-} $*\" >> \"$HOME/calls.txt\"\n" + then
}

func TestCMakeAndMeson(t *testing.T) {
	s := newSandbox(t, "foo")
	write(t, s.extra, map[string]string{"cmake": recorder("cmake", ""), "meson": recorder("meson", "")})
	opts := "-DFOO=ON \\\n-DCMAKE_C_FLAGS=\"-O2 -g\"\n"
	s.mustRun("cmake/configure", "foo", map[string]string{"opts": opts})
	s.mustRun("cmake/build", "foo", map[string]string{"output-dir": "out", "opts": "--target all"})
	s.mustRun("cmake/install", "foo", nil)
	s.mustRun("meson/configure", "foo", map[string]string{"opts": "-Dx=enabled \\\n-Dy=false\n"})
	s.mustRun("meson/compile", "foo", nil)
	s.mustRun("meson/install", "foo-sub", map[string]string{"output-dir": "b"})
	dest, sub := s.pkgdir("foo"), s.pkgdir("foo-sub")
	want := []string{
		"cmake DESTDIR= RUSTFLAGS= -B output -G Ninja -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_INSTALL_LIBDIR=lib " +
			"-DCMAKE_BUILD_TYPE=Release -DCMAKE_VERBOSE_MAKEFILE=ON -DFOO=ON -DCMAKE_C_FLAGS=-O2 -g",
		"cmake DESTDIR= RUSTFLAGS= --build out --target all",
		"cmake DESTDIR=" + dest + " RUSTFLAGS= --install output",
		"meson DESTDIR= RUSTFLAGS= setup . output --prefix=/usr --wrap-mode=nodownload -Dx=enabled -Dy=false",
		"meson DESTDIR= RUSTFLAGS= compile -C output",
		"meson DESTDIR=" + sub + " RUSTFLAGS= install -C b",
	}
	got := readLines(t, filepath.Join(s.ws, "calls.txt"))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCargoBuild(t *testing.T) {
	build := "mkdir -p target/release/deps\n" +
		"printf 'elf' > target/release/rg\nprintf 'elf' > target/release/rg-helper\nprintf 'dep' > target/release/rg.d\n"
	t.Run("named output", func(t *testing.T) {
		s := newSandbox(t, "rg")
		write(t, s.extra, map[string]string{"cargo": recorder("cargo", build)})
		write(t, s.ws, map[string]string{"crate/Cargo.toml": ""})
		s.mustRun("cargo/build", "rg", map[string]string{
			"modroot": "crate", "output": "rg", "jobs": "2", "rustflags": "-C opt-level=3",
		})
		got := readLines(t, filepath.Join(s.ws, "calls.txt"))
		if want := "cargo DESTDIR= RUSTFLAGS=-C opt-level=3 auditable build --target-dir target --jobs 2 --release"; got[0] != want {
			t.Errorf("cargo called as %q, want %q", got[0], want)
		}
		wantTree(t, s.pkgdir("rg"), "usr/bin/rg")
		if st, err := os.Stat(filepath.Join(s.pkgdir("rg"), "usr/bin/rg")); err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("usr/bin/rg: %v, %v; want mode 755", st, err)
		}
	})
	t.Run("every file", func(t *testing.T) {
		s := newSandbox(t, "rg")
		write(t, s.extra, map[string]string{"cargo": recorder("cargo", build)})
		s.mustRun("cargo/build", "rg", map[string]string{"install-dir": "libexec", "opts": "--release --locked"})
		wantTree(t, s.pkgdir("rg"), "usr/libexec/rg", "usr/libexec/rg-helper", "usr/libexec/rg.d")
	})
}
