package pipeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pestle-dev/pestle/sandbox"
)

// subpackage is one subpackage after range expansion.
type subpackage struct {
	spec  *Subpackage
	name  string
	where string // "subpackages[2]" or "subpackages[2] (range key 3.10)"
	scope *Scope
	live  bool // its if: held
}

// expandSubpackages expands ranges (items in key order; range "" means
// none), resolves names and evaluates if:.
func (c *compiler) expandSubpackages(mainName string) []subpackage {
	r := c.r
	data := map[string]*Data{}
	for i := range r.Data {
		data[r.Data[i].Name] = &r.Data[i]
	}
	var out []subpackage
	seen := map[string]string{mainName: "the main package"}
	for i := range r.Subpackages {
		sp := &r.Subpackages[i]
		where := fmt.Sprintf("subpackages[%d]", i)
		type item struct{ key, value string }
		items := []item{{}}
		var d *Data
		if sp.Range != "" {
			d = data[sp.Range]
			if d == nil {
				continue // reported by Load
			}
			items = items[:0]
			for _, k := range sortedKeys(d.Items) {
				items = append(items, item{k, d.Items[k]})
			}
		}
		for _, it := range items {
			sc := NewScope(c.base)
			w := where
			if d != nil {
				w = fmt.Sprintf("%s (range %s, key %q)", where, d.Name, it.key)
				sc.Set("range.key", it.key)
				sc.define("range.value", it.value, c.base, "data "+d.Name+" item "+strconv.Quote(it.key), r.File, d.ItemsPos[it.key])
			}
			name := c.expand(sc, sp.Name, r.File, sp.At.Key("name"), "in "+w+".name")
			dir := sandbox.GuestWorkspace + "/melange-out/" + name
			sc.Set("subpkg.name", name)
			sc.Set("context.name", name)
			sc.Set("targets.subpkgdir", dir)
			sc.Set("targets.contextdir", dir)
			live := true
			if sp.If != "" {
				ok, err := EvalCondition(sp.If, sc.Get)
				if err != nil {
					c.condError(err, r.File, sp.At.Key("if"), w+".if")
					ok = false
				}
				live = ok
			}
			if name != "" {
				if !validPackageName(name) {
					c.fail(r.File, sp.At.Key("name"), "names start with a letter or digit, then letters, digits and + _ . -", "%s: subpackage name %q is not valid", w, name)
				} else if prev, dup := seen[name]; dup {
					c.fail(r.File, sp.At.Key("name"), "", "%s: subpackage name %q is already used by %s", w, name, prev)
				}
				seen[name] = w
			}
			out = append(out, subpackage{spec: sp, name: name, where: w, scope: sc, live: live})
		}
	}
	return out
}

// condError records a failed if: evaluation.
func (c *compiler) condError(err error, file string, pos Pos, what string) {
	switch e := err.(type) {
	case *condError:
		c.fail(file, pos, "conditions compare quoted values or ${{variables}} with == or !=, joined by && or ||", "%s: %v", what, e)
	default:
		c.e.add(positioned(err, file, pos, "in "+what).(*Error))
	}
}

func (c *compiler) dependencies(sc *Scope, d Dependencies, where string) Dependencies {
	out := Dependencies{
		Runtime:          c.expandList(sc, d.Runtime, d.At.Key("runtime"), "in "+where+".runtime"),
		Provides:         c.expandList(sc, d.Provides, d.At.Key("provides"), "in "+where+".provides"),
		Replaces:         c.expandList(sc, d.Replaces, d.At.Key("replaces"), "in "+where+".replaces"),
		ProviderPriority: c.expand(sc, d.ProviderPriority, c.r.File, d.At.Key("provider-priority"), "in "+where+".provider-priority"),
		ReplacesPriority: c.expand(sc, d.ReplacesPriority, c.r.File, d.At.Key("replaces-priority"), "in "+where+".replaces-priority"),
	}
	for _, f := range [][2]string{{"provider-priority", out.ProviderPriority}, {"replaces-priority", out.ReplacesPriority}} {
		if f[1] != "" {
			if _, err := strconv.Atoi(f[1]); err != nil {
				c.fail(c.r.File, d.At.Key(f[0]), "", "%s.%s must be an integer, got %q", where, f[0], f[1])
			}
		}
	}
	return out
}

func (c *compiler) scriptlets(sc *Scope, s *Scriptlets, where string) *Scriptlets {
	if s == nil {
		return nil
	}
	f := c.r.File
	return &Scriptlets{
		Trigger: Trigger{
			Script: c.expandText(sc, s.Trigger.Script, f, s.At.Key("trigger"), "in "+where+".trigger.script"),
			Paths:  c.expandList(sc, s.Trigger.Paths, s.At.Key("trigger"), "in "+where+".trigger.paths"),
		},
		PreInstall:    c.expandText(sc, s.PreInstall, f, s.At.Key("pre-install"), "in "+where+".pre-install"),
		PostInstall:   c.expandText(sc, s.PostInstall, f, s.At.Key("post-install"), "in "+where+".post-install"),
		PreDeinstall:  c.expandText(sc, s.PreDeinstall, f, s.At.Key("pre-deinstall"), "in "+where+".pre-deinstall"),
		PostDeinstall: c.expandText(sc, s.PostDeinstall, f, s.At.Key("post-deinstall"), "in "+where+".post-deinstall"),
		PreUpgrade:    c.expandText(sc, s.PreUpgrade, f, s.At.Key("pre-upgrade"), "in "+where+".pre-upgrade"),
		PostUpgrade:   c.expandText(sc, s.PostUpgrade, f, s.At.Key("post-upgrade"), "in "+where+".post-upgrade"),
	}
}

// buildUser is the account every build and test runs as (uid/gid 1000).
const buildUser = "build"

// cacheEnv are environment defaults set when the recipe leaves them empty.
var cacheEnv = [][2]string{
	{"HOME", sandbox.GuestWorkspace},
	{"GOPATH", sandbox.GuestWorkspace + "/.cache/go"},
	{"GOMODCACHE", "/var/cache/melange/gomodcache"},
	{"UV_CACHE_DIR", "/var/cache/melange/uv"},
	{"PIP_CACHE_DIR", "/var/cache/melange/pip"},
	{"COMPOSER_CACHE_DIR", "/var/cache/melange/composer"},
	{"npm_config_cache", "/var/cache/melange/npm"},
}

// environment resolves an environment section; build adds the cache
// defaults of a build environment.
func (c *compiler) environment(sc *Scope, env *Environment, where string, build bool) BuildEnv {
	ct := &env.Contents
	out := BuildEnv{
		Repositories: c.expandList(sc, append(slices.Clone(ct.Repositories), ct.BuildRepositories...), ct.At.Key("repositories"), "in "+where+".contents.repositories"),
		Keyring:      c.expandList(sc, ct.Keyring, ct.At.Key("keyring"), "in "+where+".contents.keyring"),
		Packages:     c.expandList(sc, ct.Packages, ct.At.Key("packages"), "in "+where+".contents.packages"),
		Accounts:     env.Accounts,
		Env:          c.expandMap(sc, env.Environment, c.r.File, env.At.Key("environment"), "in "+where+".environment", true),
	}
	out.Repositories = slices.Compact(out.Repositories)
	if !slices.ContainsFunc(out.Accounts.Groups, func(g Group) bool { return g.GroupName == buildUser }) {
		out.Accounts.Groups = append(slices.Clone(out.Accounts.Groups), Group{GroupName: buildUser, GID: 1000, Members: []string{buildUser}})
	}
	if !slices.ContainsFunc(out.Accounts.Users, func(u User) bool { return u.UserName == buildUser }) {
		gid := uint32(1000)
		out.Accounts.Users = append(slices.Clone(out.Accounts.Users), User{UserName: buildUser, UID: 1000, GID: &gid})
	}
	if build {
		if out.Env == nil {
			out.Env = map[string]string{}
		}
		for _, kv := range cacheEnv {
			if out.Env[kv[0]] == "" {
				out.Env[kv[0]] = kv[1]
			}
		}
	}
	return out
}

// test compiles a test section for package pkg.
func (c *compiler) test(t *Test, sc *Scope, pkg, where string) TestPlan {
	var needs []string
	tp := TestPlan{Package: pkg, Steps: []Step{}}
	c.steps(t.Pipeline, c.root(sc, where+".pipeline"), true, &tp.Steps, &needs)
	tp.Environment = c.environment(sc, &t.Environment, where+".environment", false)
	tp.Environment.Packages = sortedSet(append(append(tp.Environment.Packages, needs...), pkg))
	return tp
}

// licenseExpression joins the copyright licenses into an SPDX expression:
// entries are ANDed (or joined with their shared operator when every entry
// is a group using the same one); nested groups are parenthesized;
// repeated licenses appear once.
func licenseExpression(cs []Copyright) string {
	var parts []string
	common, allGroups := "", true
	for _, cp := range cs {
		if cp.Operator != "" && len(cp.Licenses) > 0 {
			if common == "" {
				common = cp.Operator
			} else if common != cp.Operator {
				allGroups = false
			}
		} else {
			allGroups = false
		}
		if e := licenseOne(cp, len(cs) > 1); e != "" {
			parts = append(parts, e)
		}
	}
	op := "AND"
	if allGroups && common != "" {
		op = common
	}
	return joinLicenses(parts, op)
}

func licenseOne(cp Copyright, paren bool) string {
	if cp.Operator == "" || len(cp.Licenses) == 0 {
		return cp.License
	}
	var parts []string
	for _, sub := range cp.Licenses {
		if e := licenseOne(sub, true); e != "" {
			parts = append(parts, e)
		}
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	e := joinLicenses(parts, cp.Operator)
	if paren && strings.Contains(e, " ") {
		return "(" + e + ")"
	}
	return e
}

func joinLicenses(parts []string, op string) string {
	var out []string
	for _, p := range parts {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if op != "AND" && op != "OR" {
		op = "AND"
	}
	return strings.Join(out, " "+op+" ")
}
