package pipeline

import (
	"fmt"
	"maps"
	"path"
	"strings"

	"github.com/pestle-dev/pestle/sandbox"
)

// hostStep reports whether pestle carries out the uses: pipeline on the
// host.
func hostStep(uses string) bool { return uses == "fetch" || uses == "git-checkout" }

// maxUsesDepth bounds uses: nesting (a pipeline using itself).
const maxUsesDepth = 16

// stepCtx is what a list of steps inherits from where it sits.
type stepCtx struct {
	scope   *Scope
	file    string // file the specs were read from
	where   string // path for messages, e.g. "subpackages[1].pipeline"
	workdir string // inherited working directory (substituted)
	env     map[string]string
	uses    string // enclosing uses: pipeline
	name    string // identity of the enclosing uses: step (for anonymous steps)
	line    int    // recipe line of the enclosing recipe step (inside definitions)
	inDef   bool   // specs come from a pipeline definition
	depth   int
}

func (c *compiler) root(sc *Scope, where string) stepCtx {
	return stepCtx{scope: sc, file: c.r.File, where: where}
}

// shaLength returns the exact hex length of a checksum input, or 0.
func shaLength(input string) int {
	switch input {
	case "expected-sha256":
		return 64
	case "expected-sha512":
		return 128
	case "expected-commit":
		return 40
	}
	return 0
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// steps compiles specs in ctx. live says whether the enclosing step runs;
// emitted steps go to out when emit (out nil: compile for errors only);
// the needs of steps that run go to needs. It returns how many of specs
// run (for assertions.required-steps).
func (c *compiler) steps(specs []StepSpec, ctx stepCtx, live bool, out *[]Step, needs *[]string) int {
	ran := 0
	for i := range specs {
		if c.step(&specs[i], ctx, fmt.Sprintf("%s[%d]", ctx.where, i), live, out, needs) {
			ran++
		}
	}
	return ran
}

// step compiles one spec; it reports whether the step runs.
func (c *compiler) step(s *StepSpec, ctx stepCtx, where string, live bool, out *[]Step, needs *[]string) bool {
	file := ctx.file
	line := s.At.Line
	if ctx.inDef {
		line = ctx.line
	}
	sc := NewScope(ctx.scope)

	var def *definition
	uses := s.Uses
	if uses != "" && len(s.Pipeline) > 0 {
		c.warn = append(c.warn, fmt.Sprintf("%s:%d: %s has both uses %q and a nested pipeline; the nested pipeline runs and %q is ignored", file, s.At.Line, where, uses, uses))
		uses = ""
	}
	if uses != "" {
		if ctx.depth >= maxUsesDepth {
			c.fail(file, s.At.Key("uses"), "a pipeline may not use itself", "%s: uses nested deeper than %d levels", where, maxUsesDepth)
			return false
		}
		d, err := c.lib.lookup(uses)
		if err != nil {
			c.libraryError(err, file, s.At.Key("uses"), where, uses)
			return false
		}
		def = d
	}

	inputs := c.inputs(s, def, ctx, sc, where)

	// A definition's own if: replaces the step's, as its other fields do.
	cond, condFile, condPos := s.If, file, s.At.Key("if")
	if def != nil && def.spec.If != "" {
		cond, condFile, condPos = def.spec.If, def.file, def.spec.At.Key("if")
	}
	ok := live
	if cond != "" {
		v, err := EvalCondition(cond, sc.Get)
		if err != nil {
			c.condError(err, condFile, condPos, where+".if")
		}
		ok = ok && v && err == nil
	}

	// What the step runs: its own fields, overlaid by the definition's.
	runs, runsFile, runsPos := s.Runs, file, s.At.Key("runs")
	nested, nestedFile, nestedWhere := s.Pipeline, file, where+".pipeline"
	wd, wdFile, wdPos := s.WorkingDirectory, file, s.At.Key("working-directory")
	env := maps.Clone(ctx.env)
	for _, k := range sortedKeys(s.Environment) {
		if env == nil {
			env = map[string]string{}
		}
		env[k] = c.expand(sc, s.Environment[k], file, s.At.Key("environment"), "in "+where+".environment."+k)
	}
	var stepNeeds []string
	if s.Needs != nil {
		for _, n := range s.Needs.Packages {
			stepNeeds = append(stepNeeds, c.expand(sc, n, file, s.At.Key("needs"), "in "+where+".needs"))
		}
	}
	if def != nil {
		ds := def.spec
		if ds.Runs != "" {
			runs, runsFile, runsPos = ds.Runs, def.file, ds.At.Key("runs")
		}
		nested, nestedFile, nestedWhere = ds.Pipeline, def.file, uses+".pipeline"
		if ds.WorkingDirectory != "" {
			wd, wdFile, wdPos = ds.WorkingDirectory, def.file, ds.At.Key("working-directory")
		}
		for _, k := range sortedKeys(ds.Environment) {
			if env == nil {
				env = map[string]string{}
			}
			env[k] = c.expand(sc, ds.Environment[k], def.file, ds.At.Key("environment"), "in "+uses+" environment."+k)
		}
		if ds.Needs != nil {
			for _, n := range ds.Needs.Packages {
				stepNeeds = append(stepNeeds, c.expand(sc, n, def.file, ds.At.Key("needs"), "in "+uses+" needs"))
			}
		}
	}
	// Host steps (fetch, git-checkout) run in pestle itself: the tools
	// their definitions need (wget, git) are not installed in the guest.
	if ok && (def == nil || !hostStep(uses)) {
		*needs = append(*needs, stepNeeds...)
	}
	if wd != "" {
		wd = c.expand(sc, wd, wdFile, wdPos, "in "+where+".working-directory")
	}
	if wd == "" {
		wd = ctx.workdir
	}
	absWD := wd
	switch {
	case absWD == "":
		absWD = sandbox.GuestWorkspace
	case !strings.HasPrefix(absWD, "/"):
		absWD = path.Join(sandbox.GuestWorkspace, absWD)
	}

	name := s.Name
	if name == "" && ctx.inDef {
		name = ctx.name
	}
	stepUses := ctx.uses
	if def != nil {
		stepUses = uses
	}
	base := Step{Name: name, Uses: stepUses, WorkingDirectory: absWD, Env: env, If: cond, Label: s.Label, Retry: s.Retry, Line: line}
	host := def != nil && hostStep(uses)
	emit := out != nil && ok
	if host {
		st := base
		st.Host = uses
		st.With = inputs
		if emit {
			*out = append(*out, st)
		}
	}
	if runs != "" {
		script := c.expand(sc, runs, runsFile, runsPos, "in "+where+".runs")
		if emit && !host {
			st := base
			st.Script = script
			if runsFile != c.r.File {
				st.Source = fmt.Sprintf("%s:%d", runsFile, runsPos.Line)
			}
			*out = append(*out, st)
		}
	}

	child := stepCtx{scope: sc, file: nestedFile, where: nestedWhere, workdir: wd, env: env,
		uses: stepUses, name: ctx.name, line: line, inDef: ctx.inDef || def != nil, depth: ctx.depth}
	if def != nil {
		child.depth++
		child.name = name
		if child.name == "" {
			child.name = uses
		}
	}
	childOut := out
	if host || !ok {
		childOut = nil
	}
	ran := c.steps(nested, child, ok, childOut, needs)
	if s.Assertions != nil && ok && ran != s.Assertions.RequiredSteps {
		c.fail(file, s.At.Key("assertions"), "", "%s: %d of its nested steps run on %s, but assertions.required-steps is %d",
			where, ran, c.arch.APK, s.Assertions.RequiredSteps)
	}
	return ok
}

// inputs defines inputs.* for a uses: step in sc and returns their values.
func (c *compiler) inputs(s *StepSpec, def *definition, ctx stepCtx, sc *Scope, where string) map[string]string {
	if def == nil {
		return nil
	}
	declared := def.spec.Inputs
	for _, k := range sortedKeys(s.With) {
		if _, ok := declared[k]; !ok {
			hint := suggest(k, sortedKeys(declared))
			if hint == "" {
				if len(declared) == 0 {
					hint = fmt.Sprintf("%s takes no inputs", s.Uses)
				} else {
					hint = fmt.Sprintf("%s takes: %s", s.Uses, strings.Join(sortedKeys(declared), ", "))
				}
			}
			c.fail(ctx.file, s.WithPos[k], hint, "%s: undefined input %q to pipeline %q", where, k, s.Uses)
		}
	}
	for _, k := range sortedKeys(declared) {
		in := declared[k]
		switch v, given := s.With[k]; {
		case given && v != "":
			sc.define("inputs."+k, v, ctx.scope, "with."+k, ctx.file, s.WithPos[k])
		case ctx.scope.Has("inputs."+k) && c.inherited(ctx.scope, k) != "":
			sc.Set("inputs."+k, c.inherited(ctx.scope, k))
		default:
			sc.define("inputs."+k, in.Default, nil, fmt.Sprintf("the default of input %q", k), def.file, in.At.Key("default"))
		}
	}
	vals := map[string]string{}
	for _, k := range sortedKeys(declared) {
		v, err := sc.Get("inputs." + k)
		if err != nil {
			pos := s.At.Key("uses")
			if p, ok := s.WithPos[k]; ok {
				pos = p
			}
			c.e.add(positioned(err, ctx.file, pos, "in input "+k+" of "+s.Uses).(*Error))
			continue
		}
		vals[k] = v
		if declared[k].Required && v == "" {
			c.fail(ctx.file, s.At.Key("uses"), fmt.Sprintf("add %s: under with:", k), "%s: pipeline %q needs input %q", where, s.Uses, k)
		}
		if n := shaLength(k); n > 0 && v != "" && (len(v) != n || !isHex(v)) {
			pos := s.At.Key("uses")
			if p, ok := s.WithPos[k]; ok {
				pos = p
			}
			c.fail(ctx.file, pos, fmt.Sprintf("%s is %d hex digits", k, n), "%s: %s %q is not valid (%d characters)", where, k, v, len(v))
		}
	}
	return vals
}

// inherited returns the resolved value of an enclosing step's input k
// ("" if it does not resolve; that error is reported where it is defined).
func (c *compiler) inherited(sc *Scope, k string) string {
	v, err := sc.Get("inputs." + k)
	if err != nil {
		return ""
	}
	return v
}

// libraryError records a failed uses: lookup at the step.
func (c *compiler) libraryError(err error, file string, pos Pos, where, uses string) {
	switch e := err.(type) {
	case *Error:
		if e.File != "" {
			c.e.add(e) // an error inside the definition file
			return
		}
		c.fail(file, pos, e.Hint, "%s: %s", where, e.Msg)
	case ErrorList:
		for _, x := range e {
			c.e.add(x)
		}
		c.fail(file, pos, "", "%s: pipeline %q has errors", where, uses)
	default:
		c.fail(file, pos, "", "%s: %v", where, err)
	}
}
