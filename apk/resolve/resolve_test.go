package resolve

import (
	"errors"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/version"
)

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		repos [][]*apk.PackageInfo
		world []string
		want  []string // install order
	}{
		{"dependencies first", repo(mk("a", "1-r0", "D:b"), mk("b", "1-r0", "D:c"), mk("c", "1-r0")),
			[]string{"a"}, []string{"c", "b", "a"}},
		{"highest version", repo(mk("foo", "1.0-r0"), mk("foo", "2.0-r0"), mk("foo", "2.0_rc1-r0")),
			[]string{"foo"}, []string{"foo=2.0-r0"}},
		{"constraint picks older", repo(mk("foo", "1.0-r0"), mk("foo", "2.0-r0")),
			[]string{"foo<2"}, []string{"foo=1.0-r0"}},
		{"name=ver request", repo(mk("foo", "1.0-r0"), mk("foo", "1.1-r0"), mk("foo", "2.0-r0")),
			[]string{"foo=1.1-r0"}, []string{"foo=1.1-r0"}},
		{"dependency constraint", repo(mk("app", "1-r0", "D:lib>=1.5 lib<2"), mk("lib", "1.4-r0"), mk("lib", "1.9-r2"), mk("lib", "2.1-r0")),
			[]string{"app"}, []string{"lib=1.9-r2", "app"}},
		{"so: provide", repo(mk("app", "1-r0", "D:so:libx.so.1"), mk("libx", "1.2-r0", "p:so:libx.so.1=1")),
			[]string{"app"}, []string{"libx", "app"}},
		{"path provide", repo(mk("script", "1-r0", "D:/bin/sh"), mk("busybox", "1.35-r0", "p:/bin/sh cmd:sh=1.35-r0")),
			[]string{"script", "busybox"}, []string{"busybox", "script"}},
		{"cmd: provide by request", repo(mk("busybox", "1.35-r0", "p:/bin/sh cmd:sh=1.35-r0")),
			[]string{"cmd:sh"}, []string{"busybox"}},
		{"higher provided version beats the real package", repo(mk("foo", "1.0-r0"), mk("foo-ng", "1-r0", "p:foo=2.0")),
			[]string{"foo"}, []string{"foo-ng"}},
		{"real package wins a tie", repo(mk("foo-alt", "1-r0", "p:foo=1.0-r0"), mk("foo", "1.0-r0")),
			[]string{"foo"}, []string{"foo"}},
		{"provider_priority wins a tie", repo(mk("foo", "1.0-r0", "k:10"), mk("foo-alt", "1-r0", "p:foo=1.0-r0", "k:20")),
			[]string{"foo"}, []string{"foo-alt"}},
		{"unversioned provider cannot beat the real package", repo(mk("vim", "8-r0"), mk("gvim", "8-r0", "p:vim")),
			[]string{"vim"}, []string{"vim"}},
		{"virtual by priority", repo(mk("sh-a", "1-r0", "p:/bin/sh", "k:10"), mk("sh-b", "1-r0", "p:/bin/sh", "k:100"), mk("sh-c", "1-r0", "p:/bin/sh")),
			[]string{"/bin/sh"}, []string{"sh-b"}},
		{"single unversioned provider named in the request", repo(mk("sh-a", "1-r0", "p:/bin/sh"), mk("app", "1-r0", "D:/bin/sh")),
			[]string{"app", "sh-a"}, []string{"sh-a", "app"}},
		{"chosen package settles a virtual name", repo(mk("app", "1-r0", "D:/bin/sh"), mk("sh-a", "1-r0", "p:/bin/sh"), mk("sh-b", "1-r0", "p:/bin/sh", "k:100")),
			[]string{"app", "sh-a"}, []string{"sh-a", "app"}},
		{"needed package settles a virtual name in any order", repo(mk("sh-a", "1-r0", "p:/bin/sh"), mk("sh-b", "1-r0", "p:/bin/sh")),
			[]string{"/bin/sh", "sh-b"}, []string{"sh-b"}},
		{"versioned virtual picks the highest version", repo(mk("postfix", "3.7.3-r0", "p:cmd:sendmail=3.7.3-r0"), mk("ssmtp", "2.64-r17", "p:cmd:sendmail=2.64-r17")),
			[]string{"cmd:sendmail"}, []string{"postfix"}},
		{"conflict steers the version", repo(mk("a", "1-r0", "D:!b<2"), mk("b", "1.0-r0"), mk("b", "2.0-r0")),
			[]string{"a", "b<3"}, []string{"a", "b=2.0-r0"}},
		{"request conflict on a missing name", repo(mk("a", "1-r0")),
			[]string{"a", "!nothing"}, []string{"a"}},
		{"install_if added", repo(mk("a", "1-r0"), mk("b", "1-r0"), mk("a-b", "1-r0", "i:a b", "D:c"), mk("c", "1-r0")),
			[]string{"a", "b"}, []string{"a", "b", "c", "a-b"}},
		{"install_if not met", repo(mk("a", "1-r0"), mk("b", "1-r0"), mk("a-b", "1-r0", "i:a b")),
			[]string{"a"}, []string{"a"}},
		{"install_if version", repo(mk("a", "1-r0"), mk("b", "1-r0"), mk("x", "1-r0", "i:a=2-r0 b"), mk("y", "1-r0", "i:a=1-r0 b")),
			[]string{"a", "b"}, []string{"a", "b", "y"}},
		{"install_if chain", repo(mk("a", "1-r0"), mk("x", "1-r0", "i:a"), mk("y", "1-r0", "i:x")),
			[]string{"a"}, []string{"a", "x", "y"}},
		{"install_if left out when its dependencies fail", repo(mk("a", "1-r0"), mk("x", "1-r0", "i:a", "D:missing")),
			[]string{"a"}, []string{"a"}},
		{"install_if conflict token", repo(mk("a", "1-r0"), mk("b", "1-r0"), mk("x", "1-r0", "i:a !b")),
			[]string{"a"}, []string{"a", "x"}},
		{"install_if conflict token blocks", repo(mk("a", "1-r0"), mk("b", "1-r0"), mk("x", "1-r0", "i:a !b")),
			[]string{"a", "b"}, []string{"a", "b"}},
		{"cycle", repo(mk("a", "1-r0", "D:b"), mk("b", "1-r0", "D:c"), mk("c", "1-r0", "D:a")),
			[]string{"a"}, []string{"c", "b", "a"}},
		{"cycle entered elsewhere", repo(mk("a", "1-r0", "D:b"), mk("b", "1-r0", "D:c"), mk("c", "1-r0", "D:a")),
			[]string{"b"}, []string{"a", "c", "b"}},
		{"request sorted by name", repo(mk("z", "1-r0"), mk("a", "1-r0")),
			[]string{"z", "a"}, []string{"a", "z"}},
		{"backtrack", repo(
			mk("x", "2-r0", "D:w"), mk("x", "1-r0"), mk("w", "1-r0", "D:z=2"),
			mk("y", "1-r0", "D:z=1"), mk("z", "1"), mk("z", "2")),
			[]string{"x", "y"}, []string{"x=1-r0", "z=1", "y"}},
		{"lookahead skips an impossible candidate", repo(mk("a", "2-r0", "D:gone"), mk("a", "1-r0")),
			[]string{"a"}, []string{"a=1-r0"}},
		{"broken metadata kept out", repo(mk("a", "2-r0", "D:b=1..0"), mk("a", "1-r0")),
			[]string{"a"}, []string{"a=1-r0"}},
		{"earlier repository wins a tie", [][]*apk.PackageInfo{{mk("a", "1-r0", "D:one")}, {mk("a", "1-r0", "D:two")}, {mk("one", "1"), mk("two", "1")}},
			[]string{"a"}, []string{"one", "a"}},
		{"newer version from a later repository", [][]*apk.PackageInfo{{mk("a", "1-r0")}, {mk("a", "1.1-r0")}},
			[]string{"a"}, []string{"a=1.1-r0"}},
		{"arch filter", repo(mk("a", "1-r0", "A:aarch64", "D:x"), mk("a", "1-r0", "A:x86_64"), mk("x", "1")),
			[]string{"a"}, []string{"a"}},
		{"several tokens in one entry", repo(mk("a", "1-r0"), mk("b", "1-r0")),
			[]string{"a b"}, []string{"a", "b"}},
		{"unversioned co-providers", repo(mk("a", "1-r0", "p:/bin/sh"), mk("b", "1-r0", "p:/bin/sh")),
			[]string{"a", "b"}, []string{"a", "b"}},
		// apk decides the needed names deepest chain first, and of equal
		// depth the most recently needed first: virt (needed by pen) comes
		// before impl (needed by top earlier), so virt gets its preferred
		// provider and impl provides it too (busybox ldoc: lua5.1 and lua5.4).
		{"recently needed virtual name decided first", repo(
			mk("top", "1-r0", "D:pen impl"), mk("pen", "1-r0", "D:virt"),
			mk("impl", "1-r0", "p:virt"), mk("pref", "1-r0", "p:virt", "k:100"), mk("impl-ext", "1-r0", "D:impl")),
			[]string{"top"}, []string{"pref", "pen", "impl", "top"}},
		// The same choice, but the install walk reaches impl first: virt
		// is then provided and its preferred provider is not installed
		// (busybox lua5.4-penlight: lua5.4 only).
		{"provider reached first covers a virtual name", repo(
			mk("top", "1-r0", "D:ext pen"), mk("ext", "1-r0", "D:impl"), mk("pen", "1-r0", "D:virt"),
			mk("impl", "1-r0", "p:virt"), mk("pref", "1-r0", "p:virt", "k:100"), mk("impl-ext", "1-r0", "D:impl")),
			[]string{"top"}, []string{"impl", "ext", "pen", "top"}},
		// A name that nothing else could need is taken at once, before
		// any choice: here impl settles virt.
		{"name with every user chosen settles a virtual name", repo(
			mk("top", "1-r0", "D:pen impl"), mk("pen", "1-r0", "D:virt"),
			mk("impl", "1-r0", "p:virt"), mk("pref", "1-r0", "p:virt", "k:100")),
			[]string{"top"}, []string{"impl", "pen", "top"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sol, err := Resolve(c.world, c.repos, Options{Arch: "x86_64"})
			if err != nil {
				t.Fatalf("Resolve(%q): %v", c.world, err)
			}
			got := describeAll(sol)
			if !sameOrder(got, c.want) {
				t.Errorf("Resolve(%q) = %q, want %q", c.world, got, c.want)
			}
		})
	}
}

func repo(pkgs ...*apk.PackageInfo) [][]*apk.PackageInfo { return [][]*apk.PackageInfo{pkgs} }

// describeAll lists the solution, each package as name=version.
func describeAll(sol *Solution) []string {
	out := make([]string, len(sol.Packages))
	for i, p := range sol.Packages {
		out[i] = p.Name + "=" + p.Version
	}
	return out
}

// sameOrder compares a solution with a want list whose entries are a name
// or name=version.
func sameOrder(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] && strings.SplitN(got[i], "=", 2)[0] != want[i] {
			return false
		}
	}
	return true
}

func TestChecksumRequest(t *testing.T) {
	a1 := mk("a", "1-r0")
	a1.Checksum = []byte("01234567890123456789")
	a2 := mk("a", "2-r0")
	a2.Checksum = []byte("abcdefghijabcdefghij")
	r, err := New(repo(a1, a2), Options{})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := r.Resolve([]string{"a><" + identity(a1.Checksum)})
	if err != nil {
		t.Fatal(err)
	}
	if len(sol.Packages) != 1 || sol.Packages[0] != a1 {
		t.Errorf("checksum request chose %v", names(sol))
	}
	sol, err = r.Resolve([]string{"a"})
	if err != nil || sol.Packages[0] != a2 {
		t.Errorf("plain request: %v, %v", sol, err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name  string
		repos [][]*apk.PackageInfo
		world []string
		kind  Kind
		msg   string
	}{
		{"missing name from a package",
			[][]*apk.PackageInfo{{mk("build-base", "0.5-r3", "D:so:libc.so.6")}, {mk("zlib", "1-r0")}},
			[]string{"build-base"}, KindNotFound,
			"build-base needs so:libc.so.6; no package in the 2 repositories provides it"},
		{"missing name from the request", repo(mk("a", "1")),
			[]string{"nope"}, KindNotFound,
			"the request needs nope; no package in the repository provides it"},
		{"missing versioned name", repo(mk("a", "1-r0", "D:x>=2")),
			[]string{"a"}, KindNotFound,
			"a needs x>=2; no package in the repository provides x"},
		{"no acceptable version", repo(mk("foo", "1-r0", "D:bar>=2.0"), mk("bar", "1.4-r0"), mk("bar", "1.9-r2")),
			[]string{"foo"}, KindVersion,
			"foo needs bar>=2.0; available: bar 1.4-r0, bar 1.9-r2"},
		{"two requirers disagree", repo(mk("a", "1-r0", "D:lib<2"), mk("b", "1-r0", "D:lib>=2"), mk("lib", "1.0-r0"), mk("lib", "2.0-r0")),
			[]string{"a", "b"}, KindVersion,
			"a needs lib<2 and b needs lib>=2; available: lib 1.0-r0, lib 2.0-r0"},
		{"conflict named with both sides", repo(mk("a", "1-r0", "D:!b"), mk("b", "1.0-r0"), mk("c", "1-r0", "D:b")),
			[]string{"a", "c"}, KindConflict,
			"c needs b, but a conflicts with b 1.0-r0 (a has !b)"},
		{"conflict against a chosen package", repo(mk("a", "1-r0", "D:!b"), mk("b", "1.0-r0"), mk("c", "1-r0", "D:b"), mk("d", "1-r0", "D:c a")),
			[]string{"d"}, KindConflict,
			"c needs b, but a conflicts with b 1.0-r0 (a has !b)"},
		{"conflict with a package chosen earlier", repo(mk("a", "1-r0", "D:!b"), mk("b", "1.0-r0")),
			[]string{"b", "a"}, KindConflict,
			"the request needs a, but a 1-r0 has !b and b 1.0-r0 is chosen (needed by the request)"},
		{"dependency against a chosen version", repo(mk("a", "1-r0", "D:lib>=2"), mk("lib", "1.0-r0"), mk("lib", "2.0-r0")),
			[]string{"lib<2", "a"}, KindConflict,
			"the request needs a, but a 1-r0 needs lib>=2 and lib 1.0-r0 is already chosen (needed by the request)"},
		{"request conflict", repo(mk("a", "1-r0", "D:b"), mk("b", "1.0-r0")),
			[]string{"a", "!b"}, KindConflict,
			"a needs b, but the request conflicts with b 1.0-r0 (the request has !b)"},
		{"virtual", repo(mk("custom-ca-certs-1", "1.0.0-r0", "p:custom-ca-certificates"), mk("custom-ca-certs-2", "1.0.0-r0", "p:custom-ca-certificates")),
			[]string{"custom-ca-certificates"}, KindVirtual,
			"custom-ca-certificates is a virtual package; pick one of: custom-ca-certs-1 custom-ca-certs-2 (the request needs custom-ca-certificates)"},
		// apk 2.14 picks no provider without version and priority on its
		// own, even the only one (busybox perl-test-deep: perl-test-tester).
		{"single unversioned provider is not picked", repo(mk("app", "1-r0", "D:/bin/sh"), mk("sh-a", "1-r0", "p:/bin/sh")),
			[]string{"app"}, KindVirtual,
			"/bin/sh is a virtual package; name its provider: sh-a (app needs /bin/sh)"},
		{"same versioned provide", repo(mk("a", "1-r0", "p:cmd:x=1"), mk("b", "1-r0", "p:cmd:x=1")),
			[]string{"a", "b"}, KindConflict,
			"the request needs b, but b 1-r0 cannot be installed together with a 1-r0 (needed by the request): both provide cmd:x"},
		{"broken metadata", repo(mk("a", "1-r0", "D:b=1..0")),
			[]string{"a"}, KindBroken,
			`the request needs a, but a 1-r0 cannot be installed: its depend (D:) has an invalid token: dependency "b=1..0": version: '.' must be followed by a number (at byte 3)`},
		{"dependency with no provider", repo(mk("a", "1-r0", "D:gone")),
			[]string{"a"}, KindNotFound,
			"a needs gone; no package in the repository provides it"},
		{"dependency with no acceptable version", repo(mk("a", "1-r0", "D:lib>=3"), mk("lib", "2-r0")),
			[]string{"a"}, KindVersion,
			"a needs lib>=3; available: lib 2-r0"},
		{"provided version refused", repo(mk("a", "1-r0", "D:so:x.so.1>=2"), mk("libx", "1-r0", "p:so:x.so.1=1.5")),
			[]string{"a"}, KindVersion,
			"a needs so:x.so.1>=2; available: libx 1-r0 (provides so:x.so.1=1.5)"},
		{"own provide refused by own dependency", repo(mk("p", "1-r0", "p:x=1", "D:x>=2"), mk("q", "1-r0", "p:x=2")),
			[]string{"p"}, KindConflict,
			"p needs x>=2, but p 1-r0 (provides x=1) is already chosen (needed by the request)"},
		{"own provide forbidden by own conflict", repo(mk("p", "1-r0", "p:x", "D:!x")),
			[]string{"p"}, KindConflict,
			"p conflicts with p 1-r0 (p has !x) (needed by the request)"},
		{"repository tag", repo(mk("a", "1")),
			[]string{"a@edge"}, KindRequest,
			"a@edge: repository tags (@edge) are not supported; list the repositories to use instead"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Resolve(c.world, c.repos, Options{})
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Resolve(%q) = %v, want *Error", c.world, err)
			}
			if re.Kind != c.kind {
				t.Errorf("kind = %d, want %d (%v)", re.Kind, c.kind, err)
			}
			if err.Error() != c.msg {
				t.Errorf("error =\n  %s\nwant\n  %s", err, c.msg)
			}
			if (c.kind != KindRequest) != errors.Is(err, ErrUnsatisfiable) {
				t.Errorf("errors.Is(ErrUnsatisfiable) wrong for kind %d", c.kind)
			}
		})
	}
}

func TestBadRequestToken(t *testing.T) {
	_, err := Resolve([]string{"a", "b>=1..2"}, repo(mk("a", "1")), Options{})
	if !errors.Is(err, version.ErrInvalid) || !strings.Contains(err.Error(), "request entry 2") {
		t.Errorf("err = %v, want an invalid-token error naming entry 2", err)
	}
}

func TestNewRefusesNil(t *testing.T) {
	if _, err := New([][]*apk.PackageInfo{{nil}}, Options{}); err == nil {
		t.Error("New accepted a nil package")
	}
	if _, err := New([][]*apk.PackageInfo{{{Name: "a"}}}, Options{}); err == nil {
		t.Error("New accepted a package without version")
	}
}
