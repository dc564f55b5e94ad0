package resolve

import (
	"errors"
	"fmt"
	"math/rand"
	"sync"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

// randomRepo builds a small repository with versions, versioned and
// unversioned provides, conflicts, install_if and cycles.
func randomRepo(rng *rand.Rand) []*apk.PackageInfo {
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	virt := []string{"/bin/sh", "so:libx.so.1", "cmd:tool"}
	vers := []string{"1.0-r0", "1.1-r0", "2.0-r0"}
	ops := []string{"", ">=1.1", "<2", "=1.0-r0", "~1"}
	var pkgs []*apk.PackageInfo
	for _, n := range names {
		for _, v := range vers[:1+rng.Intn(len(vers))] {
			p := mk(n, v)
			for i := rng.Intn(3); i > 0; i-- {
				dep := names[rng.Intn(len(names))] + ops[rng.Intn(len(ops))]
				if rng.Intn(6) == 0 {
					dep = "!" + dep
				}
				if rng.Intn(5) == 0 {
					dep = virt[rng.Intn(len(virt))]
				}
				p.Depends = append(p.Depends, dep)
			}
			if rng.Intn(3) == 0 {
				vn := virt[rng.Intn(len(virt))]
				if rng.Intn(2) == 0 {
					vn += "=" + v
				}
				p.Provides = append(p.Provides, vn)
				if rng.Intn(2) == 0 {
					p.ProviderPriority = uint64(rng.Intn(3))
				}
			}
			if rng.Intn(8) == 0 {
				p.InstallIf = []string{names[rng.Intn(len(names))], names[rng.Intn(len(names))]}
			}
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// TestRandomRepos resolves random requests against random repositories and
// checks every solution for consistency; failures must be *Error.
func TestRandomRepos(t *testing.T) {
	solved := 0
	for seed := int64(0); seed < 400; seed++ {
		rng := rand.New(rand.NewSource(seed))
		pkgs := randomRepo(rng)
		world := []string{string(rune('a' + rng.Intn(8)))}
		if rng.Intn(2) == 0 {
			world = append(world, string(rune('a'+rng.Intn(8))))
		}
		sol, err := Resolve(world, [][]*apk.PackageInfo{pkgs}, Options{MaxBacktracks: 50})
		if err != nil {
			var re *Error
			if !errors.As(err, &re) || re.Problem == "" {
				t.Fatalf("seed %d: %v is not an explained *Error", seed, err)
			}
			continue
		}
		solved++
		checkConsistent(t, fmt.Sprintf("seed %d %q", seed, world), world, sol)
	}
	if solved < 100 {
		t.Errorf("only %d of 400 random requests solved", solved)
	}
}

// checkConsistent verifies a solution: every request and dependency is
// met, no conflict is violated, one package per name, no two packages
// share a versioned provide, and the install order puts dependencies first.
func checkConsistent(t *testing.T, label string, world []string, sol *Solution) {
	t.Helper()
	type prov struct{ pkg, version string }
	provided := map[string][]prov{}
	for _, p := range sol.Packages {
		provided[p.Name] = append(provided[p.Name], prov{p.Name, p.Version})
		for _, tok := range p.Provides {
			d, _ := version.ParseDependency(tok)
			provided[d.Name] = append(provided[d.Name], prov{p.Name, d.Version})
		}
	}
	for n, ps := range provided {
		versioned := 0
		for _, p := range ps {
			if p.version != "" {
				versioned++
			}
		}
		if versioned > 0 && len(ps) > 1 {
			t.Errorf("%s: %s provided by %v", label, n, ps)
		}
	}
	check := func(who, tok string) {
		d, err := version.ParseDependency(tok)
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		match := false
		for _, p := range provided[d.Name] {
			if d.MatchVersion(p.version) {
				match = true
			}
		}
		if d.Conflict && match {
			t.Errorf("%s: %s has %s, violated", label, who, tok)
		}
		if !d.Conflict && !match {
			t.Errorf("%s: %s needs %s, unmet (%v)", label, who, tok, provided[d.Name])
		}
	}
	for _, w := range world {
		check("request", w)
	}
	for _, p := range sol.Packages {
		for _, tok := range p.Depends {
			check(p.Name, tok)
		}
	}
	checkInstallOrder(t, world, sol)
}

func TestConcurrentResolve(t *testing.T) {
	r := alpineResolver(t)
	var wg sync.WaitGroup
	for _, c := range alpineCases[:4] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Resolve(c.world); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// TestRandomComplete checks that when the resolver reports an error, no
// solution exists: it brute-forces every combination of at most one
// version per package name. Every provider gets a provider_priority so
// that apk's rule for unversioned providers (which may refuse a request
// that has a solution) stays out of the way.
func TestRandomComplete(t *testing.T) {
	errs := 0
	for seed := int64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		pkgs := randomRepo(rng)
		for _, p := range pkgs {
			p.ProviderPriority++
		}
		world := []string{string(rune('a' + rng.Intn(8)))}
		if rng.Intn(2) == 0 {
			world = append(world, string(rune('a'+rng.Intn(8))))
		}
		_, err := Resolve(world, [][]*apk.PackageInfo{pkgs}, Options{})
		if err == nil {
			continue
		}
		errs++
		if bruteForce(pkgs, world) {
			t.Errorf("seed %d %q: resolver says %v, but a solution exists", seed, world, err)
		}
	}
	if errs < 15 {
		t.Errorf("only %d unsatisfiable requests: the generator is too tame", errs)
	}
}

// bruteForce reports whether some choice of at most one version per name
// meets world.
func bruteForce(pkgs []*apk.PackageInfo, world []string) bool {
	byName := map[string][]*apk.PackageInfo{}
	var names []string
	for _, p := range pkgs {
		if _, ok := byName[p.Name]; !ok {
			names = append(names, p.Name)
		}
		byName[p.Name] = append(byName[p.Name], p)
	}
	choice := make([]int, len(names))
	for {
		var sel []*apk.PackageInfo
		for i, n := range names {
			if choice[i] > 0 {
				sel = append(sel, byName[n][choice[i]-1])
			}
		}
		if meets(sel, world) {
			return true
		}
		i := 0
		for ; i < len(names); i++ {
			choice[i]++
			if choice[i] <= len(byName[names[i]]) {
				break
			}
			choice[i] = 0
		}
		if i == len(names) {
			return false
		}
	}
}

// meets reports whether a set of packages satisfies world and itself.
func meets(sel []*apk.PackageInfo, world []string) bool {
	provided := map[string][]string{}
	for _, p := range sel {
		provided[p.Name] = append(provided[p.Name], p.Version)
		for _, tok := range p.Provides {
			d, _ := version.ParseDependency(tok)
			provided[d.Name] = append(provided[d.Name], d.Version)
		}
	}
	for _, vs := range provided {
		for _, v := range vs {
			if v != "" && len(vs) > 1 {
				return false
			}
		}
	}
	ok := func(tok string) bool {
		d, _ := version.ParseDependency(tok)
		match := false
		for _, v := range provided[d.Name] {
			if d.MatchVersion(v) {
				match = true
			}
		}
		return match != d.Conflict
	}
	for _, w := range world {
		if !ok(w) {
			return false
		}
	}
	for _, p := range sel {
		for _, tok := range p.Depends {
			if !ok(tok) {
				return false
			}
		}
	}
	return true
}
