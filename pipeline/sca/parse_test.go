package sca

import (
	"errors"
	"strings"
	"testing"
)

func TestInterpreter(t *testing.T) {
	for _, tc := range []struct {
		head string
		want string
		err  error
	}{
		{"#!/bin/bash\n", "bash", nil},
		{"#!/bin/bash -e\necho", "bash", nil},
		{"#! /usr/bin/perl -w\n", "perl", nil},
		{"#!/usr/bin/perl", "perl", nil}, // no newline at all
		{"#!/bin/dash\r\n", "dash", nil},
		{"#!/usr/bin/env bash\n", "bash", nil},
		{"#!/usr/bin/env python3.12\nimport os\n", "python3.12", nil},
		{"#!/usr/bin/env -S bash -x\n", "bash", nil},
		{"#!/usr/bin/env -S /usr/bin/node --flag\n", "node", nil},
		{"#!/bin/sh\n", "", nil},
		{"#!/usr/bin/env sh\n", "", nil},
		{"#!/usr/bin/python3\n", "", nil},
		{"#!/usr/bin/env python\n", "", nil},
		{"#!/usr/bin/awk -f\n", "", nil},
		{"#!/usr/bin/env luajit\n", "", nil},
		{"#!\n", "", nil},
		{"#!   \t\n", "", nil},
		{"#!/\n", "", nil},
		{"not a script", "", nil},
		{"", "", nil},
		{"#", "", nil},
		{"\x7fELF#!/bin/bash", "", nil},
		{"#!/usr/bin/env\n", "", errEnvAlone},
		{"#!/usr/bin/env bash -x\n", "", errEnvOptions},
		{"#!/usr/bin/env -i bash\n", "", errEnvOptions},
		{"#!/usr/bin/env -S -i bash\n", "", errEnvOptions},
	} {
		got, err := interpreter([]byte(tc.head))
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("interpreter(%q) = %q, %v; want %q, %v", tc.head, got, err, tc.want, tc.err)
		}
	}
}

func TestParsePC(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"plain", "Requires: zlib\n", []string{"zlib"}},
		{"all three kinds", "Requires: a\nRequires.private: b\nRequires.internal: c\n", []string{"a", "b", "c"}},
		{"versions with spaces", "Requires: glib-2.0 >= 2.50, gio-2.0 = 2.70 gobject-2.0\n",
			[]string{"glib-2.0", "gio-2.0", "gobject-2.0"}},
		{"versions glued", "Requires: glib-2.0>=2.50,zlib!=1.2.3,x<1\n", []string{"glib-2.0", "zlib", "x"}},
		{"operator glued to the version", "Requires: foo >=1.0 bar\n", []string{"foo", "bar"}},
		{"variables", "a=lib\nb=${a}foo\nRequires: ${b} ${undefined}x\n", []string{"libfoo", "x"}},
		{"dollar escape", "Requires: a$$b\n", []string{"a$b"}},
		{"unclosed variable", "Requires: a${b\n", []string{"a${b"}},
		{"comments", "# header\nRequires: a # b, c\nRequires.private: x\\#y\n", []string{"a", "x#y"}},
		{"continuation", "Requires: a, \\\n b\n", []string{"a", "b"}},
		{"keyword case", "REQUIRES: a\n", []string{"a"}},
		{"later wins", "Requires: a\nRequires: b\n", []string{"b"}},
		{"spaces around =", "v = x\nRequires: ${v}\n", []string{"x"}},
		{"empty value", "Requires:\nRequires.private: \n", nil},
		{"junk lines", ": x\n=y\nno separator\n\x00\nRequires: a\n", []string{"a"}},
		{"CRLF", "Requires: a, b\r\n", []string{"a", "b"}},
	} {
		m, err := parsePC([]byte(tc.text))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := m.requires(); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: requires = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A file that doubles a variable over and over must fail fast, not eat
// memory.
func TestParsePCExpansionBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("v0=xxxxxxxxxxxxxxxx\n")
	for i := 1; i < 40; i++ {
		b.WriteString("v" + itoa(i) + "=${v" + itoa(i-1) + "}${v" + itoa(i-1) + "}\n")
	}
	if _, err := parsePC([]byte(b.String())); !errors.Is(err, errPCTooBig) {
		t.Errorf("err = %v, want errPCTooBig", err)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestSonameVersion(t *testing.T) {
	for soname, want := range map[string]string{
		"libc.so.6":                "6",
		"libfoo.so.1.2.3":          "1.2.3",
		"libfoo.so":                "0",
		"libaws-c-s3.so.0unstable": "0",
		"libfoo.so.":               "0",
		"libfoo.so.1..2":           "0",
		"libfoo.so..1":             "0",
		"libfoo.so.1.":             "0",
		"libfoo.so.2.so.3":         "2",
		"ld-linux-x86-64.so.2":     "2",
		"libfoo-1.0.so":            "0",
	} {
		if got := sonameVersion(soname); got != want {
			t.Errorf("sonameVersion(%q) = %q, want %q", soname, got, want)
		}
	}
}

func TestInDir(t *testing.T) {
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"usr/lib/libfoo.so.1", true},
		{"lib/libc.so.6", true},
		{"usr/lib/x86_64-linux-gnu/libfoo.so.1", false},
		{"usr/lib64/libfoo.so.1", true},
		{"usr/libexec/libfoo.so.1", false},
		{"libfoo.so.1", false},
	} {
		if got := inDir(tc.p, stdLibDirs); got != tc.want {
			t.Errorf("inDir(%q) = %v", tc.p, got)
		}
	}
	if !underAny("usr/bin/sub/x", shebangDirs) || underAny("usr/binx/y", shebangDirs) || underAny("usr/bin", shebangDirs) {
		t.Error("underAny")
	}
}
