package builtin

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/inputs.golden")

// inputsReport lists each pipeline with its needs and inputs (default and
// required flag), so that a change to any of them shows in review.
func inputsReport(defs map[string]definition) string {
	var b strings.Builder
	b.WriteString("# Built-in pipelines: needs, then each input with its default and whether it is required.\n")
	b.WriteString("# Regenerate with: go test ./pipeline/builtin -run TestInputsGolden -update\n")
	for _, name := range Names() {
		d := defs[name]
		fmt.Fprintf(&b, "\n%s\n", name)
		fmt.Fprintf(&b, "  needs: %s\n", strings.Join(d.Needs.Packages, " "))
		ins := make([]string, 0, len(d.Inputs))
		for in := range d.Inputs {
			ins = append(ins, in)
		}
		sort.Strings(ins)
		for _, in := range ins {
			spec := d.Inputs[in]
			req := ""
			if spec.Required {
				req = " required"
			}
			fmt.Fprintf(&b, "  %-30s default=%q%s\n", in, spec.Default, req)
		}
	}
	return b.String()
}

func TestInputsGolden(t *testing.T) {
	got := inputsReport(loadAll(t))
	path := filepath.Join("testdata", "inputs.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("inputs changed; review and run with -update:\n%s", lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+).
func lineDiff(want, got string) string {
	count := map[string]int{}
	for _, l := range strings.Split(want, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(got, "\n") {
		count[l]--
	}
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if count[l] > 0 {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if count[l] < 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	return b.String()
}
