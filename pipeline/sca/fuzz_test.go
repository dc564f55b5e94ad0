package sca

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk/version"
)

// fuzzSeeds are real and hand-made inputs for the file fuzzers.
func fuzzSeeds(f *testing.F) {
	f.Add([]byte("#!/bin/bash\necho\n"))
	f.Add([]byte("#!/usr/bin/env -S perl -w\n"))
	f.Add([]byte("#!/usr/bin/env\n"))
	f.Add([]byte("prefix=/usr\nv=${prefix}\nRequires: a >= 1, b\nRequires.private: c\n"))
	f.Add([]byte("a=${a}${a}\nRequires: ${a}\\\n x\n"))
	f.Add([]byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x3e\x00"))
	tree := f.TempDir()
	extractAPK(f, helloAPK(f), tree)
	if data, err := os.ReadFile(filepath.Join(tree, "usr/bin/hello")); err == nil {
		f.Add(data)
		f.Add(data[:4096])
	}
}

// FuzzAnalyzeFile writes arbitrary bytes to a program, a library, a .pc
// file and a library symlink of a tree: Analyze must not panic or hang,
// and every token it keeps must be a valid apk dependency.
func FuzzAnalyzeFile(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := t.TempDir()
		writeFile(t, filepath.Join(tree, "usr/bin/prog"), data, 0o755)
		writeFile(t, filepath.Join(tree, "usr/lib/libfuzz.so.1"), data, 0o644)
		writeFile(t, filepath.Join(tree, "usr/lib/pkgconfig/fuzz.pc"), data, 0o644)
		writeFile(t, filepath.Join(tree, "etc/ld.so.conf.d/fuzz.conf"), data, 0o644)
		symlink(t, "libfuzz.so.1", filepath.Join(tree, "usr/lib/libfuzz.so"))
		r, err := Analyze(context.Background(), tree, Options{Name: "fuzz-doc", Version: "1.0-r0"})
		if err != nil {
			return // the tree itself is fine; an error is allowed, a panic is not
		}
		for _, list := range [][]string{r.Depends, r.Provides, r.Vendored} {
			for _, tok := range list {
				if _, err := version.ParseDependency(tok); err != nil {
					t.Fatalf("kept invalid token %q: %v", tok, err)
				}
				if r.Reasons[tok] == "" {
					t.Fatalf("token %q has no reason", tok)
				}
			}
		}
	})
}

// FuzzPkgConfig parses arbitrary .pc text: module names never hold a
// separator or an operator.
func FuzzPkgConfig(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parsePC(data)
		if err != nil {
			return
		}
		for _, name := range m.requires() {
			if name == "" || strings.ContainsAny(name, ", \t<>=!") {
				t.Fatalf("bad module name %q", name)
			}
		}
	})
}

// FuzzInterpreter reads arbitrary "#!" lines: a command is a base name.
func FuzzInterpreter(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, err := interpreter(data)
		if err != nil && cmd != "" {
			t.Fatalf("both a command %q and an error %v", cmd, err)
		}
		if strings.ContainsAny(cmd, "/ \t\n") || slices.Contains(ignoredInterpreters[:], cmd) {
			t.Fatalf("bad command %q", cmd)
		}
	})
}
