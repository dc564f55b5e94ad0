package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestInflateControl: the floor inflates the two first members of every
// package it is given, and fails on a file that does not hold them.
func TestInflateControl(t *testing.T) {
	dir := t.TempDir()
	if err := makePackages(dir, 3, ""); err != nil {
		t.Fatal(err)
	}
	buf, zr := make([]byte, 64<<10), new(gzip.Reader)
	for i := range 3 {
		if err := inflateControl(filepath.Join(dir, pkgInfo(i, 3).Filename()), buf, zr); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, pkgInfo(0, 3).Filename()))
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.apk")
	if err := os.WriteFile(cut, data[:len(data)/4], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := inflateControl(cut, buf, zr); err == nil {
		t.Fatal("a truncated package inflates")
	}
	if err := inflateControl(filepath.Join(dir, "none.apk"), buf, zr); err == nil {
		t.Fatal("a missing file inflates")
	}
}
