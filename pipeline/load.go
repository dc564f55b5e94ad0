package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LoadOptions adjust Load.
type LoadOptions struct {
	// DisplayName replaces the path in error messages (tests use the
	// bare file name so their golden errors do not depend on the checkout).
	DisplayName string
}

// Load reads and strictly parses the recipe at path. All problems found
// are returned together as an ErrorList.
func Load(path string, opts LoadOptions) (*Recipe, error) {
	data, err := readYAMLFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading recipe: %w", err)
	}
	name := opts.DisplayName
	if name == "" {
		name = path
	}
	return Parse(data, name)
}

// Parse strictly parses recipe bytes; file names the recipe in errors.
func Parse(data []byte, file string) (*Recipe, error) {
	r := &Recipe{File: file}
	list := decodeYAML(data, file, r)
	if len(list) == 0 {
		e := &errs{file: file}
		r.validate(e)
		list = e.list
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// validCaps are the file capabilities setcap may grant. Small tables in
// this package are arrays or switches: a map literal is built by code at
// every start-up of pestle.
var validCaps = [...]string{
	"cap_net_bind_service", "cap_net_admin", "cap_net_raw",
	"cap_ipc_lock", "cap_sys_admin",
}

// validate checks what can be checked before substitution.
func (r *Recipe) validate(e *errs) {
	p := &r.Package
	if !r.At.Has("package") {
		e.at(Pos{1, 1}, "add a package section with name and version", "recipe has no package section")
		return
	}
	if strings.TrimSpace(p.Name) == "" {
		e.at(p.At.Pos, "", "package.name is required")
	}
	if strings.TrimSpace(p.Version) == "" {
		e.at(p.At.Key("version"), "", "package.version is required")
	}
	if p.Timeout != "" {
		if _, err := time.ParseDuration(p.Timeout); err != nil {
			if _, err := strconv.ParseInt(p.Timeout, 10, 64); err != nil {
				e.at(p.At.Key("timeout"), `use a Go duration such as "2h30m"`, "package.timeout %q is not a duration", p.Timeout)
			}
		}
	}
	validateCopyright(e, p.Copyright, "package.copyright")
	validateSetCap(e, p.SetCap, "package.setcap")
	validateCPE(e, p.CPE)
	validateSteps(e, r.Pipeline, "pipeline")

	data := map[string]bool{}
	for i, d := range r.Data {
		if d.Name == "" {
			e.at(d.At.Pos, "", "data[%d] has no name", i)
		} else if data[d.Name] {
			e.at(d.At.Key("name"), "", "data %q is defined twice", d.Name)
		}
		data[d.Name] = true
	}
	for i := range r.Subpackages {
		sp := &r.Subpackages[i]
		where := fmt.Sprintf("subpackages[%d]", i)
		if strings.TrimSpace(sp.Name) == "" {
			e.at(sp.At.Pos, "", "%s has no name", where)
		}
		if sp.Range != "" && !data[sp.Range] {
			names := make([]string, 0, len(data))
			for n := range data {
				names = append(names, n)
			}
			e.at(sp.At.Key("range"), suggest(sp.Range, names), "%s ranges over data %q, which is not defined", where, sp.Range)
		}
		validateCopyright(e, sp.Copyright, where+".copyright")
		validateSetCap(e, sp.SetCap, where+".setcap")
		validateSteps(e, sp.Pipeline, where+".pipeline")
		if sp.Test != nil {
			validateSteps(e, sp.Test.Pipeline, where+".test.pipeline")
		}
	}
	if r.Test != nil {
		validateSteps(e, r.Test.Pipeline, "test.pipeline")
	}
	for i, vt := range r.VarTransforms {
		where := fmt.Sprintf("var-transforms[%d]", i)
		for _, f := range [][2]string{{"from", vt.From}, {"match", vt.Match}, {"to", vt.To}} {
			if f[1] == "" {
				e.at(vt.At.Pos, "", "%s needs %q", where, f[0])
			}
		}
		if vt.Match != "" {
			if _, err := regexp.Compile(vt.Match); err != nil {
				e.at(vt.At.Key("match"), "match is a Go RE2 regular expression", "%s: bad regular expression %q: %v", where, vt.Match, err)
			}
		}
	}
}

func validateCopyright(e *errs, cs []Copyright, where string) {
	for i, c := range cs {
		w := fmt.Sprintf("%s[%d]", where, i)
		grouping := c.Operator != "" || len(c.Licenses) > 0
		switch {
		case grouping && c.License != "":
			e.at(c.At.Pos, "", "%s sets both license and operator/licenses", w)
		case !grouping && c.License == "":
			e.at(c.At.Pos, `add license: (an SPDX identifier such as "MIT")`, "%s has no license", w)
		}
		if grouping {
			if c.Operator != "" && c.Operator != "AND" && c.Operator != "OR" {
				e.at(c.At.Key("operator"), "", "%s.operator must be AND or OR, got %q", w, c.Operator)
			}
			if len(c.Licenses) == 0 {
				e.at(c.At.Pos, "", "%s groups no licenses", w)
			}
			validateCopyright(e, c.Licenses, w+".licenses")
		}
	}
}

func validateSetCap(e *errs, caps []SetCap, where string) {
	for i, c := range caps {
		w := fmt.Sprintf("%s[%d]", where, i)
		for add := range c.Add {
			for _, one := range strings.Split(add, ",") {
				if !slices.Contains(validCaps[:], one) {
					e.at(c.At.Key("add"), "known capabilities: cap_ipc_lock, cap_net_admin, cap_net_bind_service, cap_net_raw, cap_sys_admin", "%s: unknown capability %q for %q", w, one, c.Path)
				}
			}
		}
		if c.Reason == "" {
			e.at(c.At.Pos, "say why the file needs the capability", "%s has no reason", w)
		}
	}
}

func validateCPE(e *errs, c CPE) {
	if c.Part != "" && c.Part != "a" {
		e.at(c.At.Key("part"), "", "package.cpe.part must be \"a\", got %q", c.Part)
	}
	if (c.Vendor == "") != (c.Product == "") {
		e.at(c.At.Pos, "", "package.cpe needs both vendor and product, or neither")
	}
	for _, f := range [][2]string{{"vendor", c.Vendor}, {"product", c.Product}, {"edition", c.Edition},
		{"language", c.Language}, {"sw_edition", c.SWEdition}, {"target_sw", c.TargetSW},
		{"target_hw", c.TargetHW}, {"other", c.Other}} {
		if f[1] != "" && !validCPEField(f[1]) {
			e.at(c.At.Key(f[0]), "use lower-case letters, digits and + _ . -", "package.cpe.%s %q is not a valid CPE value", f[0], f[1])
		}
	}
}

var validBackoff = [...]string{"", "constant", "linear", "exponential"}

// validateSteps checks the shape rules of steps (recursively).
func validateSteps(e *errs, steps []StepSpec, where string) {
	for i := range steps {
		s := &steps[i]
		w := fmt.Sprintf("%s[%d]", where, i)
		if s.Uses != "" && s.Runs != "" {
			e.at(s.At.Key("runs"), "split it into two steps", "%s has both uses %q and runs", w, s.Uses)
		}
		if s.At.Has("with") && s.Uses == "" {
			e.at(s.At.Key("with"), "with passes inputs to a uses pipeline", "%s has with but no uses", w)
		}
		if s.Uses != "" {
			if err := checkUsesName(s.Uses); err != "" {
				e.at(s.At.Key("uses"), "", "%s: %s", w, err)
			}
		}
		if s.Retry != nil {
			if s.Retry.Attempts < 1 {
				e.at(s.At.Key("retry"), "", "%s.retry.attempts must be at least 1", w)
			}
			if !slices.Contains(validBackoff[:], s.Retry.Backoff) {
				e.at(s.At.Key("retry"), "use constant, linear or exponential", "%s.retry.backoff %q is unknown", w, s.Retry.Backoff)
			}
			for _, d := range []string{s.Retry.InitialDelay, s.Retry.MaxDelay} {
				if _, err := time.ParseDuration(d); d != "" && err != nil {
					e.at(s.At.Key("retry"), "", "%s.retry: %q is not a duration", w, d)
				}
			}
		}
		validateSteps(e, s.Pipeline, w+".pipeline")
	}
}

// checkUsesName returns why a uses value cannot name a pipeline, or "".
func checkUsesName(uses string) string {
	switch {
	case strings.HasPrefix(uses, "/"):
		return fmt.Sprintf("uses %q must be a pipeline name, not an absolute path", uses)
	case strings.Contains(uses, ".."):
		return fmt.Sprintf("uses %q must not contain \"..\"", uses)
	case !validUsesName(uses):
		return fmt.Sprintf("uses %q is not a valid pipeline name", uses)
	}
	return ""
}
