package repo

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pestle-dev/pestle/apk/index"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		in      string
		remote  bool
		want    string // String()
		wantErr string
	}{
		{in: "packages", want: "packages"},
		{in: "./packages/", want: "packages"},
		{in: "/srv/repo", want: "/srv/repo"},
		{in: "file:///srv/repo/", want: "/srv/repo"},
		{in: "file://localhost/srv/repo", want: "/srv/repo"},
		{in: "https://packages.wolfi.dev/os", remote: true, want: "https://packages.wolfi.dev/os"},
		{in: "HTTPS://packages.wolfi.dev/os/", remote: true, want: "https://packages.wolfi.dev/os"},
		{in: "http://127.0.0.1:8080", remote: true, want: "http://127.0.0.1:8080"},
		{in: "", wantErr: "empty"},
		{in: "file://host/srv", wantErr: "not host"},
		{in: "file://", wantErr: "no path"},
		{in: "https:///os", wantErr: "no host"},
		{in: "https://h/os?x=1", wantErr: "no query"},
		{in: "http://h/os?", wantErr: "no query"},
		{in: "https://user:pw@h/os", wantErr: "credentials"},
		{in: "s3://bucket/os", wantErr: "unsupported scheme"},
	}
	for _, tc := range tests {
		l, err := parseLocation(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseLocation(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseLocation(%q): %v", tc.in, err)
			continue
		}
		if l.remote() != tc.remote || l.String() != filepath.FromSlash(tc.want) {
			t.Errorf("parseLocation(%q) = %q remote %v, want %q remote %v", tc.in, l, l.remote(), tc.want, tc.remote)
		}
	}
	for _, tc := range tests {
		dir, ok := LocalDir(tc.in)
		wantOK := tc.wantErr == "" && !tc.remote
		if ok != wantOK || (ok && dir != filepath.FromSlash(tc.want)) {
			t.Errorf("LocalDir(%q) = %q, %v; want a local dir: %v", tc.in, dir, ok, wantOK)
		}
	}
}

func TestChild(t *testing.T) {
	l, _ := parseLocation("https://h/my%20os/")
	if got, want := l.child("x86_64", "a-1.0-r0.apk"), "https://h/my%20os/x86_64/a-1.0-r0.apk"; got != want {
		t.Errorf("child = %q, want %q", got, want)
	}
	l, _ = parseLocation("https://h")
	if got, want := l.child("x86_64", index.FileName), "https://h/x86_64/APKINDEX.tar.gz"; got != want {
		t.Errorf("child = %q, want %q", got, want)
	}
	l, _ = parseLocation("/srv/repo")
	if got, want := l.child("x86_64", index.FileName), filepath.FromSlash("/srv/repo/x86_64/APKINDEX.tar.gz"); got != want {
		t.Errorf("child = %q, want %q", got, want)
	}
}

func TestCheckName(t *testing.T) {
	for _, ok := range []string{"busybox", "1.36.1-r0", "py3-foo_bar", "gtk+3.0", "1.0_rc1~ab12", "x86_64", "a@b"} {
		if err := checkName("name", ok); err != nil {
			t.Errorf("checkName(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../x", "a/b", `a\b`, ".hidden", "-x", "a b", "a\x00b", "é", "so:x"} {
		if err := checkName("name", bad); err == nil {
			t.Errorf("checkName(%q) accepted it", bad)
		}
	}
}

func TestSlug(t *testing.T) {
	a := slug("https://packages.wolfi.dev/os/x86_64/APKINDEX.tar.gz")
	if !strings.HasPrefix(a, "packages.wolfi.dev_os_x86_64_APKINDEX.tar.gz-") {
		t.Errorf("slug = %q", a)
	}
	if b := slug("https://packages.wolfi.dev/os/aarch64/APKINDEX.tar.gz"); a == b {
		t.Error("two URLs share a slug")
	}
	long := slug("https://h/" + strings.Repeat("x", 500))
	if len(long) > 80 || checkName("slug", long) != nil {
		t.Errorf("slug of a long URL = %q", long)
	}
}

// FuzzParseLocation checks that any location either fails or gives a
// remote URL with a host or a clean local path, and that children of it
// stay below it.
func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"packages", "file:///srv/r", "https://h/os/", "http://127.0.0.1:1/x", "file://x", "::", "https://h/%2e%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLocation(s)
		if err != nil {
			return
		}
		child := l.child("x86_64", index.FileName)
		if l.remote() {
			if l.base.Host == "" {
				t.Fatalf("%q: remote location without host", s)
			}
			if !strings.HasPrefix(child, l.String()+"/") {
				t.Fatalf("%q: child %q is not below %q", s, child, l)
			}
			return
		}
		if l.dir != filepath.Clean(l.dir) {
			t.Fatalf("%q: unclean path %q", s, l.dir)
		}
	})
}
