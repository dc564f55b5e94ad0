package sca

import (
	"slices"
	"testing"

	"github.com/pestle-dev/pestle/apk"
)

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		recipeDeps, recipeProv []string
		r                      *Result
		wantDeps, wantProv     []string
		wantDropped            []string
	}{
		{
			name:       "lists are joined, sorted and unique",
			recipeDeps: []string{"zlib", "busybox", "so:libc.so.6"},
			recipeProv: []string{"foo-compat=1"},
			r:          &Result{Depends: []string{"so:libc.so.6", "cmd:bash"}, Provides: []string{"cmd:foo=1-r0"}},
			wantDeps:   []string{"busybox", "cmd:bash", "so:libc.so.6", "zlib"},
			wantProv:   []string{"cmd:foo=1-r0", "foo-compat=1"},
		},
		{
			name:        "own provides satisfy recipe and detected deps",
			recipeDeps:  []string{"cmd:foo", "foo-compat>=1", "so:libx.so.2>=3"},
			recipeProv:  []string{"foo-compat=1.5"},
			r:           &Result{Depends: []string{"so:libx.so.2", "so:liby.so.1"}, Provides: []string{"cmd:foo=1-r0", "so:libx.so.2=2"}},
			wantDeps:    []string{"so:libx.so.2>=3", "so:liby.so.1"},
			wantProv:    []string{"cmd:foo=1-r0", "foo-compat=1.5", "so:libx.so.2=2"},
			wantDropped: []string{"cmd:foo", "foo-compat>=1", "so:libx.so.2"},
		},
		{
			name:        "an unversioned provide meets only an unversioned dependency",
			recipeDeps:  []string{"virt", "virt>=1"},
			recipeProv:  []string{"virt"},
			r:           &Result{},
			wantDeps:    []string{"virt>=1"},
			wantProv:    []string{"virt"},
			wantDropped: []string{"virt"},
		},
		{
			name:        "the package itself and conflicts",
			recipeDeps:  []string{"pkg", "pkg<2", "!pkg-old", "pkg>5"},
			r:           &Result{},
			wantDeps:    []string{"!pkg-old", "pkg>5"},
			wantDropped: []string{"pkg", "pkg<2"},
		},
		{
			name:        "vendored libraries meet detected deps only",
			recipeDeps:  []string{"so:libv.so.1"},
			r:           &Result{Depends: []string{"so:libv.so.1", "so-ver:libv.so.1>=1-r0", "so:libw.so.1"}, Vendored: []string{"so:libv.so.1=1", "so-ver:libv.so.1=1-r0"}},
			wantDeps:    []string{"so:libv.so.1", "so:libw.so.1"},
			wantDropped: []string{"so-ver:libv.so.1>=1-r0", "so:libv.so.1"},
		},
		{
			name:       "nil result",
			recipeDeps: []string{"b", "a", "b"},
			wantDeps:   []string{"a", "b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := &apk.PackageInfo{Name: "pkg", Version: "1.0-r0", Depends: tc.recipeDeps, Provides: tc.recipeProv}
			recipe := slices.Clone(tc.recipeDeps)
			dropped := Merge(info, tc.r)
			equal(t, "depends", info.Depends, tc.wantDeps)
			equal(t, "provides", info.Provides, tc.wantProv)
			var got []string
			for _, d := range dropped {
				got = append(got, d.Dep)
			}
			equal(t, "dropped", got, tc.wantDropped)
			if !slices.Equal(recipe, tc.recipeDeps) {
				t.Errorf("Merge changed the caller's slice: %q", tc.recipeDeps)
			}
		})
	}
}
