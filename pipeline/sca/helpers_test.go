package sca

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// helloAPK is the real melange-built package with a glibc binary.
func helloAPK(t testing.TB) string {
	return fixture.Path(t, "wolfi", "hello-wolfi-2.12.1-r0.apk")
}

// extractAPK unpacks the data of an .apk into dir with archive/tar over
// the concatenated gzip members (the signature and control tars have no
// end marker, so one tar reader runs through all three) and returns the
// package's .PKGINFO.
func extractAPK(t testing.TB, apkPath, dir string) *apk.PackageInfo {
	t.Helper()
	f, err := os.Open(apkPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var info *apk.PackageInfo
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Clean(h.Name)
		if strings.HasPrefix(name, ".") || filepath.IsAbs(name) {
			if name == ".PKGINFO" {
				data, err := io.ReadAll(tr)
				if err != nil {
					t.Fatal(err)
				}
				if info, err = apk.ParsePKGINFO(data); err != nil {
					t.Fatal(err)
				}
			}
			continue
		}
		dst := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, dst, data, os.FileMode(h.Mode).Perm())
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, dst); err != nil {
				t.Fatal(err)
			}
		}
	}
	if info == nil {
		t.Fatalf("%s: no .PKGINFO", apkPath)
	}
	return info
}

func writeFile(t testing.TB, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func symlink(t testing.TB, target, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, data, mode)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// built holds binaries compiled once per test run.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// binaries compiles, once, the test programs into a shared temp dir:
//
//	static     a Go program built with cgo off (no dynamic deps)
//	libfoo.so.1.2.3  a C library with soname libfoo.so.1 that needs libc
//	foo        a C program linked against libfoo and libc
//	libgreet.so.1.0.0, greet  the same without libc and with a fixed
//	           loader path, so their findings are the same on any host
func binaries(t testing.TB) string {
	t.Helper()
	gcc := fixture.NeedTool(t, "gcc")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = fixture.NeedTool(t, "go")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "pestle-sca-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		built.err = compile(t, dir, gcc, goTool)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dir
}

func compile(t testing.TB, dir, gcc, goTool string) error {
	files := map[string]string{
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"static\") }\n",
		"go.mod":  "module example.com/static\n\ngo 1.22\n",
		"foo.c":   "int foo(void) { return 42; }\n",
		"main.c":  "#include <stdio.h>\nint foo(void);\nint main(void) { printf(\"%d\\n\", foo()); return 0; }\n",
		"greet.c": "int greet(void) { return 7; }\n",
		"gmain.c": "int greet(void);\nint entry(void) { return greet(); }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	steps := []struct {
		env  []string
		name string
		args []string
	}{
		{[]string{"CGO_ENABLED=0", "GOFLAGS=-mod=mod"}, goTool, []string{"build", "-trimpath", "-o", "static", "."}},
		{nil, gcc, []string{"-shared", "-fPIC", "-Wl,-soname,libfoo.so.1", "-o", "libfoo.so.1.2.3", "foo.c"}},
		{nil, "ln", []string{"-sf", "libfoo.so.1.2.3", "libfoo.so"}},
		{nil, gcc, []string{"-o", "foo", "main.c", "-L.", "-lfoo"}},
		{nil, gcc, []string{"-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libgreet.so.1", "-o", "libgreet.so.1.0.0", "greet.c"}},
		{nil, "ln", []string{"-sf", "libgreet.so.1.0.0", "libgreet.so"}},
		{nil, gcc, []string{"-nostdlib", "-nostartfiles", "-Wl,-e,entry", "-Wl,--dynamic-linker=/lib64/ld-linux-x86-64.so.2",
			"-o", "greet", "gmain.c", "-L.", "-lgreet"}},
	}
	for _, s := range steps {
		cmd := exec.Command(s.name, s.args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), s.env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return errors.New(s.name + " " + strings.Join(s.args, " ") + ": " + err.Error() + "\n" + string(out))
		}
	}
	return nil
}

func analyze(t testing.TB, tree string, opts Options) *Result {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "1.0-r0"
	}
	r, err := Analyze(context.Background(), tree, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
