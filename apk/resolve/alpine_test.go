package resolve

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// The Alpine 3.16 fixture is an x86_64 main-repository index. The expected
// sets were worked out from the index by hand: each dependency name has a
// single package or provider here except where noted, and the install_if
// rules are those whose every token is met by the set.
var alpineCases = []struct {
	world []string
	want  []string // sorted
}{
	// openrc needs ifupdown-any, provided without version by ifupdown-ng
	// (k:900), busybox-ifupdown (k:200) and ifupdown (k:100): the highest
	// provider_priority wins. In 3.16 busybox itself provides /bin/sh.
	// ssl_client comes by install_if (busybox=1.35.0-r17 libssl1.1).
	{[]string{"alpine-base"}, []string{
		"alpine-base", "alpine-baselayout", "alpine-baselayout-data", "alpine-conf", "alpine-keys",
		"apk-tools", "busybox", "busybox-initscripts", "busybox-suid", "ca-certificates-bundle",
		"ifupdown-ng", "libc-utils", "libcrypto1.1", "libssl1.1", "mdev-conf", "musl", "musl-utils",
		"openrc", "scanelf", "ssl_client", "zlib"}},
	{[]string{"busybox"}, []string{"busybox", "musl"}},
	// 3.16 ships OpenSSL 1.1 only: so:libcrypto.so.1.1 is libcrypto1.1.
	{[]string{"openssl"}, []string{"libcrypto1.1", "libssl1.1", "musl", "openssl"}},
	{[]string{"build-base"}, []string{
		"binutils", "build-base", "file", "fortify-headers", "g++", "gcc", "gmp", "isl22",
		"libatomic", "libc-dev", "libgcc", "libgomp", "libmagic", "libstdc++", "make", "mpc1",
		"mpfr4", "musl", "musl-dev", "patch", "zlib"}},
	{[]string{"python3"}, []string{
		"expat", "gdbm", "libbz2", "libcrypto1.1", "libffi", "libgcc", "libssl1.1", "libstdc++",
		"mpdecimal", "musl", "ncurses-libs", "ncurses-terminfo-base", "python3", "readline",
		"sqlite-libs", "xz-libs", "zlib"}},
	// ca-certificates needs /bin/sh, which busybox provides without
	// version or priority: apk 2.14 wants it named. With libssl1.1 it
	// brings ssl_client by install_if.
	{[]string{"busybox", "git"}, []string{
		"brotli-libs", "busybox", "ca-certificates", "expat", "git", "libcrypto1.1", "libcurl",
		"libssl1.1", "musl", "nghttp2-libs", "pcre2", "ssl_client", "zlib"}},
	{[]string{"busybox", "openssl"}, []string{"busybox", "libcrypto1.1", "libssl1.1", "musl", "openssl", "ssl_client"}},
	{[]string{"zlib=1.2.12-r3"}, []string{"musl", "zlib"}},
}

func alpineResolver(t testing.TB) *Resolver {
	r, err := New([][]*apk.PackageInfo{alpine316(t)}, Options{Arch: "x86_64"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAlpine316(t *testing.T) {
	r := alpineResolver(t)
	for _, c := range alpineCases {
		sol, err := r.Resolve(c.world)
		if err != nil {
			t.Errorf("%q: %v", c.world, err)
			continue
		}
		got := names(sol)
		checkInstallOrder(t, c.world, sol)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q:\n got  %q\n want %q", c.world, got, c.want)
		}
	}
}

func TestAlpine316BaseOrder(t *testing.T) {
	sol, err := alpineResolver(t).Resolve([]string{"alpine-base"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"alpine-baselayout-data", "musl", "busybox", "alpine-baselayout", "ifupdown-ng", "openrc",
		"alpine-conf", "ca-certificates-bundle", "libcrypto1.1", "libssl1.1", "ssl_client", "zlib",
		"apk-tools", "busybox-suid", "mdev-conf", "busybox-initscripts", "scanelf", "musl-utils",
		"libc-utils", "alpine-keys", "alpine-base",
	}
	if got := names(sol); !slices.Equal(got, want) {
		t.Errorf("order\n got  %q\n want %q", got, want)
	}
}

// TestAlpine316Providers checks provider choices on real multi-provider names.
func TestAlpine316Providers(t *testing.T) {
	cases := []struct {
		world    []string
		has, not []string
	}{
		{[]string{"postgresql"}, []string{"postgresql14"}, []string{"postgresql13"}}, // k:14 beats k:13
		{[]string{"lua"}, []string{"lua5.1"}, []string{"lua5.4", "luajit"}},          // only lua5.1 has a priority
		{[]string{"vim"}, []string{"vim"}, []string{"gvim"}},                         // gvim provides vim without version
		{[]string{"dnsmasq"}, []string{"dnsmasq"}, []string{"dnsmasq-dnssec"}},       // same version, k:100 beats k:10
		{[]string{"icu-data"}, []string{"icu-data-en"}, []string{"icu-data-full"}},   // versioned virtual, k:100
		{[]string{"openssh-client"}, []string{"openssh-client-default"}, []string{"openssh-client-krb5"}},
		{[]string{"cmd:sendmail"}, []string{"postfix"}, []string{"ssmtp"}},                            // 3.7.3 > 2.64
		{[]string{"cmd:ifup"}, []string{"ifupdown-ng"}, []string{"ifupdown"}},                         // cmd:ifup=0.12.1-r0 > 0.8.37-r0
		{[]string{"linux-firmware-any"}, []string{"linux-firmware"}, []string{"linux-firmware-none"}}, // the only one with k:1
		{[]string{"py3-setuptools-bootstrap"}, []string{"py3-setuptools"}, []string{"py3-setuptools-stage0"}},
		{[]string{"cmd:psql", "postgresql13-client"}, []string{"postgresql13-client"}, []string{"postgresql14-client"}},
	}
	r := alpineResolver(t)
	for _, c := range cases {
		// busybox provides /bin/sh, which apk 2.14 wants named.
		world := append([]string{"busybox"}, c.world...)
		sol, err := r.Resolve(world)
		if err != nil {
			t.Errorf("%q: %v", world, err)
			continue
		}
		got := names(sol)
		checkInstallOrder(t, world, sol)
		for _, h := range c.has {
			if !slices.Contains(got, h) {
				t.Errorf("%q: %s missing from %q", c.world, h, got)
			}
		}
		for _, n := range c.not {
			if slices.Contains(got, n) {
				t.Errorf("%q: %s should not be chosen: %q", c.world, n, got)
			}
		}
	}
}

func TestAlpine316Errors(t *testing.T) {
	r := alpineResolver(t)
	cases := []struct {
		world []string
		kind  Kind
		msg   string
	}{
		{[]string{"git"}, KindVirtual, "/bin/sh is a virtual package; name its provider: busybox (ca-certificates needs /bin/sh)"},
		{[]string{"so:libc.so.6"}, KindNotFound, "the request needs so:libc.so.6; no package in the repository provides it"},
		{[]string{"busybox>=2"}, KindVersion, "the request needs busybox>=2; available: busybox 1.35.0-r17"},
		{[]string{"alpine-base", "!busybox"}, KindConflict, "busybox"},
		// apk 2.14: "nvme-cli (no such package): required by: tiny-cloud-aws".
		{[]string{"busybox", "tiny-cloud-aws"}, KindNotFound, "tiny-cloud-aws needs nvme-cli; no package in the repository provides it"},
	}
	for _, c := range cases {
		_, err := r.Resolve(c.world)
		var re *Error
		if !errors.As(err, &re) || re.Kind != c.kind || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: err = %v, want kind %d containing %q", c.world, err, c.kind, c.msg)
		}
	}
	// A misspelt name in the request gets the name it is likely a typo
	// of; a library or command name, or one near nothing, gets none.
	for world, want := range map[string]string{
		"busybx":               `no package in the repository provides it (did you mean "busybox"?)`,
		"alpine-baselayout-dt": `(did you mean "alpine-baselayout-data"?)`,
		"so:libc.so.6":         "",
		"cmd:busybx":           "",
		"qqqqqqqqqq":           "",
	} {
		_, err := r.Resolve([]string{world})
		var re *Error
		if !errors.As(err, &re) || re.Kind != KindNotFound {
			t.Fatalf("%s: %v, want not found", world, err)
		}
		if hint := strings.Contains(err.Error(), "did you mean"); hint != (want != "") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", world, err, want)
		}
	}
}

// TestMelangeVirtual uses the melange fixture, where two packages provide
// custom-ca-certificates without version or priority.
func TestMelangeVirtual(t *testing.T) {
	pkgs := readIndex(t, fixture.Path(t, "melange-repo", "x86_64", "APKINDEX.tar.gz"))
	_, err := Resolve([]string{"custom-ca-certificates"}, [][]*apk.PackageInfo{pkgs}, Options{})
	want := "custom-ca-certificates is a virtual package; pick one of: custom-ca-certs-1 custom-ca-certs-2 (the request needs custom-ca-certificates)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	sol, err := Resolve([]string{"custom-ca-certificates", "custom-ca-certs-2"}, [][]*apk.PackageInfo{pkgs}, Options{})
	if err != nil || !slices.Equal(names(sol), []string{"custom-ca-certs-2"}) {
		t.Errorf("naming a provider: %v, %v", sol, err)
	}
	sol, err = Resolve([]string{"replayout"}, [][]*apk.PackageInfo{pkgs}, Options{})
	if err != nil || !slices.Equal(names(sol), []string{"pretend-baselayout", "replayout"}) {
		t.Errorf("replayout: %v, %v", sol, err)
	}
}

// checkInstallOrder asserts that every package comes after the chosen
// providers of its dependencies, unless they are on a cycle with it, and
// that the solution meets every dependency.
func checkInstallOrder(t *testing.T, world []string, sol *Solution) {
	t.Helper()
	pos := map[*apk.PackageInfo]int{}
	for i, p := range sol.Packages {
		pos[p] = i
	}
	providerOf := func(d version.Dependency) []*apk.PackageInfo {
		var out []*apk.PackageInfo
		for _, p := range sol.Packages {
			if d.Matches(p.Name, p.Version) {
				out = append(out, p)
				continue
			}
			for _, tok := range p.Provides {
				pv, _ := version.ParseDependency(tok)
				if pv.Name == d.Name && d.MatchVersion(pv.Version) {
					out = append(out, p)
				}
			}
		}
		return out
	}
	edges := map[*apk.PackageInfo][]*apk.PackageInfo{}
	for _, p := range sol.Packages {
		for _, tok := range p.Depends {
			d, err := version.ParseDependency(tok)
			if err != nil {
				t.Fatalf("%s: %v", p.Name, err)
			}
			prov := providerOf(d)
			if d.Conflict {
				if len(prov) > 0 {
					t.Errorf("%q: %s has %s but %s is chosen", world, p.Name, tok, prov[0].Name)
				}
				continue
			}
			if len(prov) == 0 {
				t.Errorf("%q: %s needs %s, which nothing chosen provides", world, p.Name, tok)
			}
			edges[p] = append(edges[p], prov...)
		}
	}
	reach := func(from, to *apk.PackageInfo) bool {
		seen := map[*apk.PackageInfo]bool{}
		stack := []*apk.PackageInfo{from}
		for len(stack) > 0 {
			x := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if x == to {
				return true
			}
			if !seen[x] {
				seen[x] = true
				stack = append(stack, edges[x]...)
			}
		}
		return false
	}
	// Each dependency needs one of its providers placed earlier (several
	// packages may provide a name without version), unless on a cycle.
	for _, p := range sol.Packages {
		for _, tok := range p.Depends {
			d, _ := version.ParseDependency(tok)
			if d.Conflict {
				continue
			}
			ok := false
			var late *apk.PackageInfo
			for _, q := range providerOf(d) {
				if pos[q] < pos[p] || q == p || reach(q, p) {
					ok = true
				} else {
					late = q
				}
			}
			if !ok && late != nil {
				t.Errorf("%q: %s is installed before its dependency %s", world, p.Name, late.Name)
			}
		}
	}
}
