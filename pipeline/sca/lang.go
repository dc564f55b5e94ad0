package sca

import (
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// Paths that tie a package to an interpreter (matched with path.Match).
const (
	perlUsrLib = "usr/lib/perl[0-9]*/*_perl"
	perlLib    = "lib/perl[0-9]*/*_perl"
	rubyUsrLib = "usr/lib/ruby/gems/[0-9]*.[0-9]*.[0-9]*/gems"
	rubyLib    = "lib/ruby/gems/[0-9]*.[0-9]*.[0-9]*/gems"
)

// noteLanguage remembers, while walking, the directories of Python, Perl
// and Ruby modules, and the pages of a -doc package.
func (s *scan) noteLanguage(p string, d fs.DirEntry) {
	if d.IsDir() && path.Base(p) == "site-packages" {
		if v, ok := strings.CutPrefix(path.Base(path.Dir(p)), "python"); ok && v != "" {
			s.python, s.pythonAt = v, p
		}
	}
	for _, pat := range []string{perlUsrLib, perlLib} {
		if ok, _ := path.Match(pat, p); ok {
			s.perl = append(s.perl, p)
		}
	}
	for _, pat := range []string{rubyUsrLib, rubyLib} {
		if ok, _ := path.Match(pat, p); ok {
			s.ruby = append(s.ruby, p)
		}
	}
	if strings.HasSuffix(s.opts.Name, "-doc") {
		switch path.Dir(p) {
		case "usr/share/man":
			s.addDep("man-db", "manual pages in "+p)
		case "usr/share/info":
			s.addDep("texinfo", "info pages in "+p)
		}
	}
}

// languages adds the interpreter dependencies noted during the walk. The
// last pythonX.Y/site-packages in walk order wins; for Perl and Ruby the
// first match under usr/lib, else the first under lib.
func (s *scan) languages() {
	if s.python != "" {
		s.addYielding("python-"+s.python+"-base", s.pythonAt,
			func(dep string) bool { return strings.HasPrefix(dep, "python") })
	}
	if p := preferUsrLib(s.perl); p != "" {
		dir := strings.Split(strings.TrimPrefix(p, "usr/"), "/")[1] // perlN
		s.addYielding("perl~"+strings.TrimPrefix(dir, "perl"), "Perl modules in "+p,
			func(dep string) bool { return dep == "perl" })
	}
	if p := preferUsrLib(s.ruby); p != "" {
		v := path.Base(path.Dir(p)) // X.Y.Z
		v = strings.TrimSuffix(v, path.Ext(v))
		s.addYielding("ruby-"+v, "Ruby gems in "+p,
			func(dep string) bool { return dep == "ruby" || strings.HasPrefix(dep, "ruby-") })
	}
}

// addYielding adds an interpreter dependency that Merge leaves out when
// the recipe already names a dependency for which covered is true.
func (s *scan) addYielding(dep, reason string, covered func(string) bool) {
	if s.add(s.depends, dep, reason) {
		s.yields[dep] = covered
	}
}

func preferUsrLib(paths []string) string {
	for _, p := range paths {
		if strings.HasPrefix(p, "usr/lib/") {
			return p
		}
	}
	if len(paths) > 0 {
		return paths[0]
	}
	return ""
}

// environment indexes the provides of the build environment's packages.
type environment struct {
	providers map[string][]provider // provide name → providers, by package name
}

type provider struct {
	pkg     *apk.PackageInfo
	version string // the provide's version, "" when unversioned
}

func newEnvironment(pkgs []*apk.PackageInfo) *environment {
	sorted := slices.Clone(pkgs)
	sorted = slices.DeleteFunc(sorted, func(p *apk.PackageInfo) bool { return p == nil })
	slices.SortStableFunc(sorted, func(a, b *apk.PackageInfo) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return version.Compare(b.Version, a.Version) // newest first
	})
	env := &environment{providers: map[string][]provider{}}
	for _, p := range sorted {
		for _, tok := range p.Provides {
			d, err := version.ParseDependency(tok)
			if err != nil {
				continue
			}
			v := ""
			if d.Op == version.EQ {
				v = d.Version
			}
			env.providers[d.Name] = append(env.providers[d.Name], provider{pkg: p, version: v})
		}
	}
	return env
}

// versioned adds "<versionedName>>=<V>" when the installed package that
// provides resolve also publishes a versioned provide of versionedName;
// V is that package's version. so:libz.so.1 is versioned through
// so-ver:libz.so.1, pc:zlib through pc:zlib itself.
func (s *scan) versioned(resolve, versionedName, reason string) {
	if s.opts.NoVersionedShlibDeps || len(s.opts.Environment) == 0 {
		return
	}
	if s.env == nil {
		s.env = newEnvironment(s.opts.Environment)
	}
	cands := s.env.providers[resolve]
	if len(cands) == 0 {
		return
	}
	pkg := cands[0].pkg
	for _, pr := range s.env.providers[versionedName] {
		if pr.pkg == pkg && pr.version != "" && version.Validate(pr.version) == nil {
			s.add(s.depends, versionedName+">="+pkg.Version,
				reason+"; built against "+pkg.Name+"-"+pkg.Version)
			return
		}
	}
}
