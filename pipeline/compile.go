package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	apkversion "github.com/pestle-dev/pestle/apk/version"
	"github.com/pestle-dev/pestle/sandbox"
)

// CompileOptions choose what Compile builds.
type CompileOptions struct {
	// Arch is an apk or Go architecture name; "" means the host's.
	Arch string
	// PipelineDirs are searched for uses: pipelines, in order, before the
	// built-in library.
	PipelineDirs []string
	// VarsFile is a YAML map merged over the recipe's vars.
	VarsFile string
	// BuildOptions are names from the recipe's options: to enable.
	BuildOptions []string
	// LibcFlavor is the libc part of host.triplet.* ("gnu" when empty).
	LibcFlavor string
	// Library overrides where uses: pipelines come from (tests; sharing
	// parsed definitions between compiles). When nil, PipelineDirs and the
	// built-in library are used.
	Library *Library
}

// Compile resolves r for one architecture into a Plan. All problems found
// are returned together as an ErrorList. When the recipe does not target
// the architecture, the error wraps ErrArchNotTargeted.
func Compile(r *Recipe, opts CompileOptions) (*Plan, error) {
	arch, err := ParseArch(opts.Arch)
	if err != nil {
		return nil, err
	}
	if ta := r.Package.TargetArchitecture; !targets(ta, arch) {
		return nil, fmt.Errorf("%w: %s: package %s builds only for %s, not %s", ErrArchNotTargeted,
			r.File, r.Package.Name, strings.Join(ta, ", "), arch.APK)
	}
	c := &compiler{r: r, opts: opts, arch: arch, e: &errs{file: r.File}, lib: opts.Library}
	if c.lib == nil {
		c.lib = NewLibrary(opts.PipelineDirs...)
	}
	if c.opts.LibcFlavor == "" {
		c.opts.LibcFlavor = "gnu"
	}
	plan := c.compile()
	if err := c.e.list.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}

// targets reports whether target-architecture ta (apk names, or "all";
// Go names are accepted too) includes a. An empty list means every one.
func targets(ta []string, a Arch) bool {
	if len(ta) == 0 || slices.Contains(ta, "all") {
		return true
	}
	for _, t := range ta {
		if b, err := ParseArch(t); t != "" && err == nil && b == a {
			return true
		}
	}
	return false
}

type compiler struct {
	r    *Recipe
	opts CompileOptions
	arch Arch
	lib  *Library
	e    *errs
	base *Scope
	opt  []*BuildOption // enabled build options, in flag order
	warn []string
}

// fail records an error at file:pos.
func (c *compiler) fail(file string, pos Pos, hint, format string, args ...any) {
	c.e.add(&Error{File: file, Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// expand substitutes text in sc, recording an error positioned at
// file:pos (what says which field) and returning "" on failure. A
// malformed reference is kept as text with a warning, as melange keeps it.
func (c *compiler) expand(sc *Scope, text, file string, pos Pos, what string) string {
	return c.expandWith(sc, text, file, pos, what, false)
}

// expandText is expand for free text (descriptions, URLs, annotations,
// scriptlets), where melange also keeps references to undefined names.
func (c *compiler) expandText(sc *Scope, text, file string, pos Pos, what string) string {
	return c.expandWith(sc, text, file, pos, what, true)
}

func (c *compiler) expandWith(sc *Scope, text, file string, pos Pos, what string, free bool) string {
	if !strings.Contains(text, "${{") && !strings.Contains(text, "$<<") {
		return text // nothing to substitute (most fields)
	}
	// Where the text is, for warnings only: formatted when one is made.
	at := func() string { return (&Error{File: file, Line: pos.Line, Col: pos.Col}).Error() }
	l := leniency{malformed: func(ref string) {
		c.warnf("%smalformed variable reference %q %s is kept as text; write ${{name}} if a variable was meant", at(), ref, what)
	}}
	if free {
		l.undefined = func(name string) {
			c.warnf("%sundefined variable %q %s is kept as text; define it (for example under vars:) or drop the ${{ }}", at(), name, what)
		}
	}
	out, err := expandSome(text, sc.Get, l)
	if err != nil {
		c.e.add(positioned(err, file, pos, what).(*Error))
		return ""
	}
	return out
}

// warnf records a warning once.
func (c *compiler) warnf(format string, args ...any) {
	w := fmt.Sprintf(format, args...)
	if !slices.Contains(c.warn, w) {
		c.warn = append(c.warn, w)
	}
}

func (c *compiler) expandList(sc *Scope, in []string, pos Pos, what string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, 0, len(in))
	for _, s := range in {
		out = append(out, c.expand(sc, s, c.r.File, pos, what))
	}
	return out
}

// expandMap expands each value of in; free as in expandWith.
func (c *compiler) expandMap(sc *Scope, in map[string]string, file string, pos Pos, what string, free bool) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for _, k := range sortedKeys(in) {
		out[k] = c.expandWith(sc, in[k], file, pos, what+"."+k, free)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (c *compiler) compile() *Plan {
	r := c.r
	c.buildOptions()
	c.base = c.baseScope()
	p := &r.Package
	name := c.expand(c.base, p.Name, r.File, p.At.Key("name"), "in package.name")
	version := c.expand(c.base, p.Version, r.File, p.At.Key("version"), "in package.version")
	if name != "" && !validPackageName(name) {
		c.fail(r.File, p.At.Key("name"), "names start with a letter or digit, then letters, digits and + _ . -", "package name %q is not valid", name)
	}
	if version != "" {
		// melange builds it; apk-tools and apko refuse it later.
		if err := apkversion.Validate(fmt.Sprintf("%s-r%d", version, p.Epoch)); err != nil {
			pos := p.At.Key("version")
			c.warnf("%spackage.version: %v; apk-tools refuses such a version (versions are like 1.2.3, 1.0_rc1, 2.12a)",
				(&Error{File: r.File, Line: pos.Line, Col: pos.Col}).Error(), err)
		}
	}
	c.base.Set("package.name", name)
	c.base.Set("package.version", version)
	c.base.Set("package.full-version", fmt.Sprintf("%s-r%d", version, p.Epoch))
	c.base.Set("targets.destdir", sandbox.GuestWorkspace+"/melange-out/"+name)
	c.base.Set("targets.contextdir", sandbox.GuestWorkspace+"/melange-out/"+name)
	c.base.Set("context.name", name)

	subs := c.expandSubpackages(name)
	for _, s := range subs {
		c.base.Set("targets.package."+s.name, sandbox.GuestWorkspace+"/melange-out/"+s.name)
	}
	c.base.Set("targets.package."+name, sandbox.GuestWorkspace+"/melange-out/"+name)

	plan := &Plan{File: r.File, Arch: c.arch.APK, Capabilities: r.Capabilities}
	plan.Package = PackageInfo{
		Name: name, Version: version, Epoch: p.Epoch, FullVersion: fmt.Sprintf("%s-r%d", version, p.Epoch),
		Description:        c.expandText(c.base, p.Description, r.File, p.At.Key("description"), "in package.description"),
		URL:                c.expandText(c.base, p.URL, r.File, p.At.Key("url"), "in package.url"),
		Commit:             p.Commit,
		TargetArchitecture: p.TargetArchitecture,
		Copyright:          p.Copyright,
		License:            licenseExpression(p.Copyright),
		Timeout:            p.Timeout,
		Resources:          p.Resources,
		TestResources:      p.TestResources,
	}
	if cpe := p.CPE; cpe.Vendor+cpe.Product+cpe.Part+cpe.Edition+cpe.Language+cpe.SWEdition+cpe.TargetSW+cpe.TargetHW+cpe.Other != "" {
		plan.Package.CPE = &cpe
	}

	var needs []string
	main := PackagePlan{
		Name: name, Description: plan.Package.Description, URL: plan.Package.URL, Commit: p.Commit,
		Annotations:  c.expandMap(c.base, p.Annotations, r.File, p.At.Key("annotations"), "in package.annotations", true),
		Dependencies: c.dependencies(c.base, p.Dependencies, "package.dependencies"),
		Options:      p.Options, Scriptlets: c.scriptlets(c.base, p.Scriptlets, "package.scriptlets"),
		Checks: p.Checks, SetCap: p.SetCap, Line: p.At.Line,
		Steps: []Step{},
	}
	c.steps(r.Pipeline, c.root(c.base, "pipeline"), true, &main.Steps, &needs)
	plan.Packages = append(plan.Packages, main)

	for _, s := range subs {
		sp := s.spec
		pp := PackagePlan{
			Name:         s.name,
			Description:  c.expandText(s.scope, sp.Description, r.File, sp.At.Key("description"), "in "+s.where+".description"),
			URL:          c.expandText(s.scope, sp.URL, r.File, sp.At.Key("url"), "in "+s.where+".url"),
			Commit:       sp.Commit,
			Annotations:  c.expandMap(s.scope, sp.Annotations, r.File, sp.At.Key("annotations"), "in "+s.where+".annotations", true),
			Dependencies: c.dependencies(s.scope, sp.Dependencies, s.where+".dependencies"),
			Options:      sp.Options, Scriptlets: c.scriptlets(s.scope, sp.Scriptlets, s.where+".scriptlets"),
			Checks: sp.Checks, SetCap: sp.SetCap, Copyright: sp.Copyright, Line: sp.At.Line,
			Steps: []Step{},
		}
		if pp.Commit == "" {
			pp.Commit = p.Commit
		}
		// As in melange, the steps of a subpackage whose if: is false are
		// compiled and their needs join the environment; they only do not
		// run.
		out := &pp.Steps
		if !s.live {
			out = nil
		}
		c.steps(sp.Pipeline, c.root(s.scope, s.where+".pipeline"), true, out, &needs)
		if s.live {
			plan.Packages = append(plan.Packages, pp)
		} else {
			plan.Skipped = append(plan.Skipped, SkippedPackage{Name: s.name, Line: sp.At.Line,
				After: plan.Packages[len(plan.Packages)-1].Name, If: sp.If})
		}
	}

	plan.Environment = c.environment(c.base, &r.Environment, "environment", true)
	pkgs := plan.Environment.Packages
	for _, bo := range c.opt {
		add := bo.Environment.Contents.Packages.Add
		pkgs = append(pkgs, c.expandList(c.base, add, bo.At.Pos, "in a build option's packages")...)
		for _, rm := range c.expandList(c.base, bo.Environment.Contents.Packages.Remove, bo.At.Pos, "in a build option's packages") {
			pkgs = slices.DeleteFunc(pkgs, func(s string) bool { return s == rm })
		}
	}
	plan.Environment.Packages = sortedSet(append(pkgs, needs...))

	if r.Test != nil {
		plan.Tests = append(plan.Tests, c.test(r.Test, c.base, name, "test"))
	}
	for _, s := range subs {
		if s.live && s.spec.Test != nil {
			plan.Tests = append(plan.Tests, c.test(s.spec.Test, s.scope, s.name, s.where+".test"))
		}
	}
	plan.Warnings = c.warn
	return plan
}

// sortedSet sorts and de-duplicates a package list, dropping empty names.
func sortedSet(in []string) []string {
	out := slices.DeleteFunc(slices.Clone(in), func(s string) bool { return strings.TrimSpace(s) == "" })
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// buildOptions checks the enabled build options and patches vars.
func (c *compiler) buildOptions() {
	for _, name := range c.opts.BuildOptions {
		bo, ok := c.r.Options[name]
		if !ok {
			known := sortedKeys(c.r.Options)
			hint := suggest(name, known)
			if hint == "" && len(known) > 0 {
				hint = "the recipe defines: " + strings.Join(known, ", ")
			} else if hint == "" {
				hint = "the recipe defines no options"
			}
			// melange ignores an option the recipe does not define.
			at := (&Error{File: c.r.File, Line: c.r.At.Key("options").Line, Col: c.r.At.Key("options").Col}).Error()
			c.warnf("%sunknown build option %q is ignored; %s", at, name, hint)
			continue
		}
		c.opt = append(c.opt, &bo)
	}
}

// baseScope holds the package-wide variables (package.*, targets.*, build.*,
// host.*, cross.*, options.*, vars.*); package.name and friends are set
// once resolved.
func (c *compiler) baseScope() *Scope {
	r, sc, a, fl := c.r, NewScope(nil), c.arch, c.opts.LibcFlavor
	p := &r.Package
	sc.define("package.name", p.Name, nil, "package.name", r.File, p.At.Key("name"))
	sc.define("package.version", p.Version, nil, "package.version", r.File, p.At.Key("version"))
	sc.define("package.description", p.Description, nil, "package.description", r.File, p.At.Key("description"))
	sc.Set("package.epoch", strconv.FormatUint(p.Epoch, 10))
	sc.Set("package.srcdir", sandbox.GuestWorkspace)
	sc.Set("targets.outdir", sandbox.GuestWorkspace+"/melange-out")
	sc.Set("build.arch", a.APK)
	sc.Set("build.goarch", a.Go)
	sc.Set("host.triplet.gnu", a.TripletGNU(fl))
	sc.Set("host.triplet.rust", a.TripletRust(fl))
	sc.Set("cross.triplet.gnu.glibc", a.TripletGNU("gnu"))
	sc.Set("cross.triplet.gnu.musl", a.TripletGNU("musl"))
	sc.Set("cross.triplet.rust.glibc", a.TripletRust("gnu"))
	sc.Set("cross.triplet.rust.musl", a.TripletRust("musl"))
	for o := range r.Options {
		sc.Set("options."+o+".enabled", "false")
	}
	for _, o := range c.opts.BuildOptions {
		if _, ok := r.Options[o]; ok {
			sc.Set("options."+o+".enabled", "true")
		}
	}
	for _, k := range sortedKeys(r.Vars) {
		sc.define("vars."+k, r.Vars[k], nil, "vars."+k, r.File, r.VarsPos[k])
	}
	if f := c.opts.VarsFile; f != "" {
		vars, err := readVarsFile(f)
		if err != nil {
			c.e.add(err)
		}
		for _, k := range sortedKeys(vars) {
			sc.define("vars."+k, vars[k], nil, "vars."+k+" (from "+f+")", f, Pos{})
		}
	}
	for _, bo := range c.opt {
		for _, k := range sortedKeys(bo.Vars) {
			sc.define("vars."+k, bo.Vars[k], nil, "vars."+k+" (from a build option)", r.File, bo.At.Pos)
		}
	}
	for i, vt := range r.VarTransforms {
		from := c.expand(sc, vt.From, r.File, vt.At.Key("from"), fmt.Sprintf("in var-transforms[%d].from", i))
		re, err := regexp.Compile(vt.Match)
		if err != nil {
			continue // reported by Load
		}
		sc.Set("vars."+vt.To, re.ReplaceAllString(from, vt.Replace))
	}
	return sc
}

// readVarsFile reads a --vars-file: a YAML map of names to values.
func readVarsFile(path string) (map[string]string, *Error) {
	data, err := readYAMLFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "reading vars file: " + err.Error()}
	}
	var vars map[string]string
	if list := decodeYAML(data, path, &vars); len(list) > 0 {
		return nil, list[0]
	}
	return vars, nil
}
