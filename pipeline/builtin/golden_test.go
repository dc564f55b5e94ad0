package builtin

import (
	"flag"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
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
	fixture.Golden(t, filepath.Join("testdata", "inputs.golden"), []byte(got), *update)
}
