package main

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

// TestListFlagAsPflag checks that listVar parses, appends and prints
// exactly as pflag's StringSlice, whose meaning melange's flags have.
func TestListFlagAsPflag(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--l", "a"},
		{"--l", "x86_64,aarch64"},
		{"--l", "a", "--l", "b,c"},
		{"--l", ""},
		{"--l", "a,,b"},
		{"--l", `"a,b",c`},
		{"--l", ` lead,trail `},
		{"--l", `\.`},
		{"--l", `say "hi"`},
		{"--l", "two\nlines"},
		{"-s", "a,b", "-s", "c"},
	} {
		mine, theirs := pflag.NewFlagSet("mine", pflag.ContinueOnError), pflag.NewFlagSet("theirs", pflag.ContinueOnError)
		var got, want []string
		listVar(mine, &got, "l", "s", nil, "")
		theirs.StringSliceVarP(&want, "l", "s", nil, "")
		errGot, errWant := mine.Parse(args), theirs.Parse(args)
		if (errGot == nil) != (errWant == nil) {
			t.Errorf("%q: error %v, pflag's %v", args, errGot, errWant)
			continue
		}
		if !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("%q: %q, pflag gives %q", args, got, want)
		}
		if g, w := mine.Lookup("l").Value.String(), theirs.Lookup("l").Value.String(); g != w {
			t.Errorf("%q: prints %s, pflag %s", args, g, w)
		}
		if g, w := mine.FlagUsages(), theirs.FlagUsages(); g != w {
			t.Errorf("%q: help\n%s\npflag's\n%s", args, g, w)
		}
	}
}

func TestListFlagDefault(t *testing.T) {
	mine, theirs := pflag.NewFlagSet("mine", pflag.ContinueOnError), pflag.NewFlagSet("theirs", pflag.ContinueOnError)
	var got, want []string
	listVar(mine, &got, "l", "", []string{"a", "b c"}, "lists")
	theirs.StringSliceVar(&want, "l", []string{"a", "b c"}, "lists")
	if g, w := mine.FlagUsages(), theirs.FlagUsages(); g != w {
		t.Errorf("help\n%s\npflag's\n%s", g, w)
	}
	if err := mine.Parse([]string{"--l", "z"}); err != nil || !slices.Equal(got, []string{"z"}) {
		t.Errorf("a given value replaces the default: %q, %v", got, err)
	}
}
