package pipeline

import (
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The plan's JSON is written field by field rather than by encoding/json:
// `pestle compile` runs once per recipe, and encoding/json's reflection
// (building its per-type encoders, then indenting a second copy of the
// output) was a tenth of such a process's work. The output is exactly
// encoding/json's for the struct tags of plan.go, with SetEscapeHTML(false)
// and SetIndent("", "  "); TestPlanJSONAsEncodingJSON holds the two
// together over every field.

// jsonOut appends indented JSON to b.
type jsonOut struct {
	b     []byte
	depth int
	// first is true until the innermost open object or array has a member.
	first bool
}

func (w *jsonOut) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *jsonOut) close(c byte) {
	w.depth--
	if !w.first {
		w.newline()
	}
	w.b = append(w.b, c)
	w.first = false
}

func (w *jsonOut) newline() {
	w.b = append(w.b, '\n')
	for range w.depth {
		w.b = append(w.b, ' ', ' ')
	}
}

// key starts the member k of the open object.
func (w *jsonOut) key(k string) {
	w.elem()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':', ' ')
}

// elem starts the next element of the open array (or member of an object).
func (w *jsonOut) elem() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.newline()
	w.first = false
}

func (w *jsonOut) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
}

// optStr writes k unless v is empty (omitempty).
func (w *jsonOut) optStr(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jsonOut) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonOut) uint(k string, v uint64) {
	w.key(k)
	w.b = strconv.AppendUint(w.b, v, 10)
}

func (w *jsonOut) optBool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *jsonOut) null() { w.b = append(w.b, "null"...) }

// strs writes k as an array of strings; nil is null.
func (w *jsonOut) strs(k string, v []string) {
	w.key(k)
	if v == nil {
		w.null()
		return
	}
	w.open('[')
	for _, s := range v {
		w.elem()
		w.b = appendJSONString(w.b, s)
	}
	w.close(']')
}

func (w *jsonOut) optStrs(k string, v []string) {
	if len(v) > 0 {
		w.strs(k, v)
	}
}

// strMap writes k as an object with sorted keys; nil is null.
func (w *jsonOut) strMap(k string, m map[string]string) {
	w.key(k)
	if m == nil {
		w.null()
		return
	}
	keys := make([]string, 0, len(m))
	for name := range m {
		keys = append(keys, name)
	}
	slices.Sort(keys)
	w.open('{')
	for _, name := range keys {
		w.str(name, m[name])
	}
	w.close('}')
}

func (w *jsonOut) optStrMap(k string, m map[string]string) {
	if len(m) > 0 {
		w.strMap(k, m)
	}
}

// list writes k as an array whose elements one writes; nil is null.
func list[T any](w *jsonOut, k string, v []T, one func(*jsonOut, *T)) {
	w.key(k)
	if v == nil {
		w.null()
		return
	}
	w.open('[')
	for i := range v {
		w.elem()
		one(w, &v[i])
	}
	w.close(']')
}

func optList[T any](w *jsonOut, k string, v []T, one func(*jsonOut, *T)) {
	if len(v) > 0 {
		list(w, k, v, one)
	}
}

// isZero is omitzero's test: every field zero, untagged ones included.
func isZero[T any](v *T) bool { return reflect.ValueOf(v).Elem().IsZero() }

// appendJSONString appends s quoted as encoding/json quotes it without
// HTML escaping: \" \\ \b \f \n \r \t, other control bytes as \u00XX,
// invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		var esc string
		size := 1
		switch c {
		case '"':
			esc = `\"`
		case '\\':
			esc = `\\`
		case '\b':
			esc = `\b`
		case '\f':
			esc = `\f`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case '\t':
			esc = `\t`
		default:
			if c < 0x20 {
				b = append(b, s[start:i]...)
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
				i++
				start = i
				continue
			}
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				esc = `\ufffd`
			case r == '\u2028':
				esc = `\u2028`
			case r == '\u2029':
				esc = `\u2029`
			default:
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		b = append(b, esc...)
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// JSON renders the plan as indented JSON (HTML characters unescaped, so
// scripts read as written), ending with a newline.
func (p *Plan) JSON() ([]byte, error) {
	w := &jsonOut{b: make([]byte, 0, 32<<10)}
	w.open('{')
	w.str("file", p.File)
	w.str("arch", p.Arch)
	w.key("package")
	writePackageInfo(w, &p.Package)
	w.key("environment")
	writeBuildEnv(w, &p.Environment)
	if !isZero(&p.Capabilities) {
		w.key("capabilities")
		writeCapabilities(w, &p.Capabilities)
	}
	list(w, "packages", p.Packages, writePackagePlan)
	optList(w, "tests", p.Tests, writeTestPlan)
	optList(w, "skipped", p.Skipped, writeSkipped)
	w.optStrs("warnings", p.Warnings)
	w.close('}')
	return append(w.b, '\n'), nil
}

func writeSkipped(w *jsonOut, s *SkippedPackage) {
	w.open('{')
	w.str("name", s.Name)
	w.str("after", s.After)
	w.str("if", s.If)
	if s.Line != 0 {
		w.int("line", int64(s.Line))
	}
	w.close('}')
}

func writePackageInfo(w *jsonOut, p *PackageInfo) {
	w.open('{')
	w.str("name", p.Name)
	w.str("version", p.Version)
	w.uint("epoch", p.Epoch)
	w.str("full-version", p.FullVersion)
	w.optStr("description", p.Description)
	w.optStr("url", p.URL)
	w.optStr("commit", p.Commit)
	w.optStrs("target-architecture", p.TargetArchitecture)
	optList(w, "copyright", p.Copyright, writeCopyright)
	w.optStr("license", p.License)
	if p.CPE != nil {
		w.key("cpe")
		writeCPE(w, p.CPE)
	}
	w.optStr("timeout", p.Timeout)
	if p.Resources != nil {
		w.key("resources")
		writeResources(w, p.Resources)
	}
	if p.TestResources != nil {
		w.key("test-resources")
		writeResources(w, p.TestResources)
	}
	w.close('}')
}

func writeCopyright(w *jsonOut, c *Copyright) {
	w.open('{')
	w.optStrs("paths", c.Paths)
	w.optStr("attestation", c.Attestation)
	w.optStr("license", c.License)
	w.optStr("license-path", c.LicensePath)
	w.optStr("detection-override", c.DetectionOverride)
	w.optStr("operator", c.Operator)
	optList(w, "licenses", c.Licenses, writeCopyright)
	w.close('}')
}

func writeCPE(w *jsonOut, c *CPE) {
	w.open('{')
	w.optStr("part", c.Part)
	w.optStr("vendor", c.Vendor)
	w.optStr("product", c.Product)
	w.optStr("edition", c.Edition)
	w.optStr("language", c.Language)
	w.optStr("sw_edition", c.SWEdition)
	w.optStr("target_sw", c.TargetSW)
	w.optStr("target_hw", c.TargetHW)
	w.optStr("other", c.Other)
	w.close('}')
}

func writeResources(w *jsonOut, r *Resources) {
	w.open('{')
	w.optStr("cpu", r.CPU)
	w.optStr("cpumodel", r.CPUModel)
	w.optStr("memory", r.Memory)
	w.optStr("disk", r.Disk)
	w.close('}')
}

func writeBuildEnv(w *jsonOut, e *BuildEnv) {
	w.open('{')
	w.optStrs("repositories", e.Repositories)
	w.optStrs("keyring", e.Keyring)
	w.strs("packages", e.Packages)
	w.key("accounts")
	writeAccounts(w, &e.Accounts)
	w.optStrMap("env", e.Env)
	w.close('}')
}

func writeAccounts(w *jsonOut, a *Accounts) {
	w.open('{')
	w.optStr("run-as", a.RunAs)
	optList(w, "users", a.Users, func(w *jsonOut, u *User) {
		w.open('{')
		w.str("username", u.UserName)
		w.uint("uid", uint64(u.UID))
		if u.GID != nil {
			w.uint("gid", uint64(*u.GID))
		}
		w.optStr("shell", u.Shell)
		w.optStr("homedir", u.HomeDir)
		w.close('}')
	})
	optList(w, "groups", a.Groups, func(w *jsonOut, g *Group) {
		w.open('{')
		w.str("groupname", g.GroupName)
		w.uint("gid", uint64(g.GID))
		w.optStrs("members", g.Members)
		w.close('}')
	})
	w.close('}')
}

func writeCapabilities(w *jsonOut, c *Capabilities) {
	w.open('{')
	w.optStrs("add", c.Add)
	w.optStrs("drop", c.Drop)
	if c.Networking != nil {
		w.key("networking")
		w.b = strconv.AppendBool(w.b, *c.Networking)
	}
	w.close('}')
}

func writePackagePlan(w *jsonOut, p *PackagePlan) {
	w.open('{')
	w.str("name", p.Name)
	w.optStr("description", p.Description)
	w.optStr("url", p.URL)
	w.optStr("commit", p.Commit)
	w.optStrMap("annotations", p.Annotations)
	if !isZero(&p.Dependencies) {
		w.key("dependencies")
		writeDependencies(w, &p.Dependencies)
	}
	if o := p.Options; o != nil {
		w.key("options")
		w.open('{')
		w.optBool("no-provides", o.NoProvides)
		w.optBool("no-depends", o.NoDepends)
		w.optBool("no-commands", o.NoCommands)
		w.optBool("no-versioned-shlib-deps", o.NoVersionedShlibDeps)
		w.close('}')
	}
	if p.Scriptlets != nil {
		w.key("scriptlets")
		writeScriptlets(w, p.Scriptlets)
	}
	if !isZero(&p.Checks) {
		w.key("checks")
		w.open('{')
		w.optStrs("disabled", p.Checks.Disabled)
		w.close('}')
	}
	optList(w, "setcap", p.SetCap, func(w *jsonOut, c *SetCap) {
		w.open('{')
		w.str("path", c.Path)
		w.strMap("add", c.Add)
		w.str("reason", c.Reason)
		w.close('}')
	})
	optList(w, "copyright", p.Copyright, writeCopyright)
	if p.Line != 0 {
		w.int("line", int64(p.Line))
	}
	list(w, "steps", p.Steps, writeStep)
	w.close('}')
}

func writeDependencies(w *jsonOut, d *Dependencies) {
	w.open('{')
	w.optStrs("runtime", d.Runtime)
	w.optStrs("provides", d.Provides)
	w.optStrs("replaces", d.Replaces)
	w.optStr("provider-priority", d.ProviderPriority)
	w.optStr("replaces-priority", d.ReplacesPriority)
	w.close('}')
}

func writeScriptlets(w *jsonOut, s *Scriptlets) {
	w.open('{')
	if !isZero(&s.Trigger) {
		w.key("trigger")
		w.open('{')
		w.optStr("script", s.Trigger.Script)
		w.optStrs("paths", s.Trigger.Paths)
		w.close('}')
	}
	w.optStr("pre-install", s.PreInstall)
	w.optStr("post-install", s.PostInstall)
	w.optStr("pre-deinstall", s.PreDeinstall)
	w.optStr("post-deinstall", s.PostDeinstall)
	w.optStr("pre-upgrade", s.PreUpgrade)
	w.optStr("post-upgrade", s.PostUpgrade)
	w.close('}')
}

func writeTestPlan(w *jsonOut, t *TestPlan) {
	w.open('{')
	w.str("package", t.Package)
	w.key("environment")
	writeBuildEnv(w, &t.Environment)
	list(w, "steps", t.Steps, writeStep)
	w.close('}')
}

func writeStep(w *jsonOut, s *Step) {
	w.open('{')
	w.optStr("name", s.Name)
	w.optStr("uses", s.Uses)
	w.optStr("host", s.Host)
	w.optStrMap("with", s.With)
	w.str("working-directory", s.WorkingDirectory)
	w.optStrMap("env", s.Env)
	w.optStr("script", s.Script)
	w.optStr("if", s.If)
	w.optStr("label", s.Label)
	if r := s.Retry; r != nil {
		w.key("retry")
		w.open('{')
		w.int("attempts", int64(r.Attempts))
		w.optStr("backoff", r.Backoff)
		w.optStr("initial-delay", r.InitialDelay)
		w.optStr("max-delay", r.MaxDelay)
		w.close('}')
	}
	w.int("line", int64(s.Line))
	w.optStr("source", s.Source)
	w.close('}')
}
