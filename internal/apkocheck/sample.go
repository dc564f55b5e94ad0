package apkocheck

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/apk"
)

// Kinds of Node.
const (
	Dir     = 'd'
	File    = 'f'
	Symlink = 'l'
	Hard    = 'h' // a second name of the regular file at Target
	FIFO    = 'p'
)

// Node is one path of a sample package's tree.
type Node struct {
	Path   string      // relative, slash-separated
	Kind   byte        // Dir, File, Symlink, Hard or FIFO
	Mode   fs.FileMode // permission bits plus fs.ModeSetuid, ModeSetgid, ModeSticky (Dir, File, FIFO)
	Body   []byte      // File content
	Target string      // Symlink target; for Hard, the path of the first name
}

// Sample is a package to pack: its metadata, its tree and its control
// scripts.
type Sample struct {
	Info    apk.PackageInfo
	Tree    []Node
	Scripts map[string][]byte
}

// Materialise creates s.Tree under dir (which must exist), with exact
// modes whatever the umask.
func (s *Sample) Materialise(dir string) error {
	for _, n := range s.Tree {
		full := filepath.Join(dir, filepath.FromSlash(n.Path))
		var err error
		switch n.Kind {
		case Dir:
			err = os.Mkdir(full, 0o700)
		case File:
			err = os.WriteFile(full, n.Body, 0o600)
		case Symlink:
			err = os.Symlink(n.Target, full)
		case Hard:
			err = os.Link(filepath.Join(dir, filepath.FromSlash(n.Target)), full)
		case FIFO:
			err = mkfifo(full)
		default:
			err = fmt.Errorf("unknown node kind %q", n.Kind)
		}
		if err != nil {
			return fmt.Errorf("sample %s: %s: %w", s.Info.Name, n.Path, err)
		}
		if n.Kind == Dir || n.Kind == File || n.Kind == FIFO {
			if err := os.Chmod(full, modeBits(n.Mode)); err != nil {
				return fmt.Errorf("sample %s: %s: %w", s.Info.Name, n.Path, err)
			}
		}
	}
	return nil
}

// modeBits converts the permission and special bits of m to what
// os.Chmod takes.
func modeBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// Node returns the node at path, or nil.
func (s *Sample) Node(path string) *Node {
	for i := range s.Tree {
		if s.Tree[i].Path == path {
			return &s.Tree[i]
		}
	}
	return nil
}

// pattern returns n bytes of a deterministic, poorly compressible pattern.
func pattern(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// Samples returns the packages of the acceptance repository for arch:
//
//   - pestle-base: /etc/os-release, passwd and group (an image needs
//     them), a post-install script, a trigger, a relative symlink,
//     a hard link, an empty directory, a sticky world-writable directory,
//     a 0600 file, a setuid file, and provides cmd:hello;
//   - pestle-lib: a 1.5 MiB library (larger than the packer's one-pass
//     buffer and than one parallel-gzip block) plus a .so symlink, and
//     provides so:libpestle.so.1;
//   - pestle-app: depends on the two others by name with a version
//     constraint, by so: and by cmd:, has a pre-install script and an
//     absolute symlink.
func Samples(arch string) []*Sample {
	common := func(name, version, desc string) apk.PackageInfo {
		return apk.PackageInfo{
			Name: name, Version: version, Arch: arch, Description: desc,
			URL: "https://example.invalid/pestle", License: "Apache-2.0",
			Origin: name, Maintainer: "Pestle Acceptance <check@example.invalid>",
			Commit: "0123456789abcdef0123456789abcdef01234567",
		}
	}
	base := &Sample{Info: common("pestle-base", "1.0.0-r0", "pestle acceptance: base layout")}
	base.Info.Provides = []string{"cmd:hello=1.0.0-r0"}
	base.Info.Triggers = []string{"/usr/share/pestle/hooks"}
	base.Scripts = map[string][]byte{
		".post-install": []byte("#!/bin/sh\necho base installed\n"),
		".trigger":      []byte("#!/bin/sh\necho hooks changed: \"$@\"\n"),
	}
	base.Tree = []Node{
		{Path: "bin", Kind: Dir, Mode: 0o755},
		{Path: "bin/hello", Kind: File, Mode: 0o755, Body: []byte("#!/bin/sh\necho hello\n")},
		{Path: "bin/hi", Kind: Symlink, Target: "hello"},
		{Path: "etc", Kind: Dir, Mode: 0o755},
		{Path: "etc/group", Kind: File, Mode: 0o644, Body: []byte("root:x:0:\n")},
		{Path: "etc/os-release", Kind: File, Mode: 0o644, Body: []byte("ID=pestle-check\nNAME=\"pestle acceptance\"\nVERSION_ID=1.0.0\n")},
		{Path: "etc/passwd", Kind: File, Mode: 0o644, Body: []byte("root:x:0:0:root:/root:/bin/sh\n")},
		{Path: "etc/pestle", Kind: Dir, Mode: 0o755},
		{Path: "etc/pestle/base.conf", Kind: File, Mode: 0o644, Body: []byte("greeting = hello\n")},
		{Path: "etc/pestle/secret", Kind: File, Mode: 0o600, Body: []byte("s3cret\n")},
		{Path: "usr", Kind: Dir, Mode: 0o755},
		{Path: "usr/sbin", Kind: Dir, Mode: 0o755},
		{Path: "usr/sbin/helper", Kind: File, Mode: fs.ModeSetuid | 0o755, Body: []byte("#!/bin/sh\nid\n")},
		{Path: "usr/share", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/doc", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/doc/pestle-base", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/doc/pestle-base/README", Kind: File, Mode: 0o644, Body: []byte("pestle acceptance base package\n")},
		{Path: "usr/share/doc/pestle-base/README.hardlink", Kind: Hard, Target: "usr/share/doc/pestle-base/README"},
		{Path: "usr/share/pestle", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/pestle/hooks", Kind: Dir, Mode: 0o755},
		{Path: "var", Kind: Dir, Mode: 0o755},
		{Path: "var/tmp", Kind: Dir, Mode: fs.ModeSticky | 0o777},
	}

	lib := &Sample{Info: common("pestle-lib", "2.1-r1", "pestle acceptance: shared library")}
	lib.Info.Provides = []string{"so:libpestle.so.1=1"}
	lib.Tree = []Node{
		{Path: "usr", Kind: Dir, Mode: 0o755},
		{Path: "usr/lib", Kind: Dir, Mode: 0o755},
		{Path: "usr/lib/libpestle.so", Kind: Symlink, Target: "libpestle.so.1"},
		{Path: "usr/lib/libpestle.so.1", Kind: File, Mode: 0o755, Body: pattern(3 << 19)},
	}

	app := &Sample{Info: common("pestle-app", "0.3.0-r2", "pestle acceptance: application")}
	app.Info.Depends = []string{"pestle-base>=1.0", "so:libpestle.so.1", "cmd:hello"}
	app.Info.Provides = []string{"cmd:app=0.3.0-r2"}
	app.Scripts = map[string][]byte{".pre-install": []byte("#!/bin/sh\nexit 0\n")}
	app.Tree = []Node{
		{Path: "usr", Kind: Dir, Mode: 0o755},
		{Path: "usr/bin", Kind: Dir, Mode: 0o755},
		{Path: "usr/bin/app", Kind: File, Mode: 0o755, Body: []byte("#!/bin/sh\nexec /bin/hello \"$@\"\n")},
		{Path: "usr/bin/hello", Kind: Symlink, Target: "/bin/hello"},
		{Path: "usr/share", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/app", Kind: Dir, Mode: 0o755},
		{Path: "usr/share/app/empty", Kind: File, Mode: 0o644, Body: []byte{}},
	}
	return []*Sample{base, lib, app}
}
