package build

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pestle-dev/pestle/internal/fixture"
)

func TestGuestRel(t *testing.T) {
	for _, c := range []struct {
		wd, p, want string // want "!" for an error
	}{
		{"", "a.tgz", "a.tgz"},
		{"", "./a.tgz", "a.tgz"},
		{"sub", "a.tgz", "sub/a.tgz"},
		{"/home/build/sub", "../a.tgz", "a.tgz"},
		{"", "/home/build/x/y", "x/y"},
		{"", "/home/build", ""},
		{"sub", "..", ""},
		{"", "/etc/shadow", "!"},
		{"", "../../etc/passwd", "!"},
		{"sub", "../../x", "!"},
		{"/tmp", "x", "!"},
		{"", "/home/buildx/y", "!"},
		{"/home/build/../../etc", "passwd", "!"},
	} {
		got, err := guestRel(c.wd, c.p)
		if c.want == "!" {
			if err == nil || !strings.Contains(err.Error(), "outside the workspace") {
				t.Errorf("guestRel(%q, %q) = %q, %v; want an error", c.wd, c.p, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("guestRel(%q, %q) = %q, %v; want %q", c.wd, c.p, got, err, c.want)
		}
	}
}

// layers makes an upper and a lower layer from a spec of entries: a name
// ending in / is a dir, "-> x" a symlink to x, "wh" a whiteout (root
// only), "opaque/" an opaque dir (root only), anything else a file.
func layers(t *testing.T, upper, lower map[string]string) wsView {
	t.Helper()
	v := wsView{upper: t.TempDir(), lower: t.TempDir()}
	for dir, spec := range map[string]map[string]string{v.upper: upper, v.lower: lower} {
		for name, what := range spec {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			var err error
			switch {
			case what == "/" || what == "opaque/":
				err = os.MkdirAll(p, 0o755)
				if err == nil && what == "opaque/" {
					err = unix.Setxattr(p, "trusted.overlay.opaque", []byte("y"), 0)
				}
			case strings.HasPrefix(what, "-> "):
				err = os.Symlink(strings.TrimPrefix(what, "-> "), p)
			case what == "wh":
				err = unix.Mknod(p, unix.S_IFCHR, 0)
			default:
				err = os.WriteFile(p, []byte(what), 0o644)
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	return v
}

// The view shows the upper layer over the source dir as overlayfs does,
// and never goes through a symlink.
func TestWorkspaceViewFind(t *testing.T) {
	v := layers(t,
		map[string]string{"a/new": "upper", "both": "upper", "lsym": "-> /etc", "dir/": "/"},
		map[string]string{"a/old": "lower", "a/b/deep": "lower", "both": "lower", "link": "-> /etc", "file": "lower", "dir/in": "lower"})
	for _, c := range []struct {
		rel, want string // want: the file's content, "dir", or the error
	}{
		{"a/new", "upper"},
		{"a/old", "lower"},
		{"a/b/deep", "lower"},
		{"both", "upper"},
		{"dir/in", "lower"},
		{"a", "dir"},
		{"", "dir"},
		{"missing", "not exist"},
		{"a/missing", "not exist"},
		{"file/x", "not exist"},
		{"link", "link is a symlink"},
		{"link/passwd", "link is a symlink"},
		{"lsym/x", "lsym is a symlink"},
	} {
		host, fi, err := v.find(c.rel)
		got := ""
		switch {
		case err != nil:
			got = err.Error()
		case fi.IsDir():
			got = "dir"
		default:
			b, _ := os.ReadFile(host)
			got = string(b)
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("find(%q) = %q, want %q", c.rel, got, c.want)
		}
	}
}

// What a step removed from the source dir (a whiteout) or replaced by a
// new dir (opaque) stays out of the view.
func TestWorkspaceViewFindOverlay(t *testing.T) {
	fixture.NeedRoot(t, "whiteouts and trusted xattrs need root")
	v := layers(t,
		map[string]string{"gone": "wh", "sub/gone": "wh", "fresh": "opaque/", "fresh/new": "upper"},
		map[string]string{"gone": "lower", "sub/gone": "lower", "sub/kept": "lower", "fresh/old": "lower"})
	for rel, want := range map[string]error{"gone": fs.ErrNotExist, "sub/gone": fs.ErrNotExist, "fresh/old": fs.ErrNotExist, "sub/kept": nil, "fresh/new": nil} {
		if _, _, err := v.find(rel); !errors.Is(err, want) && !(want == nil && err == nil) {
			t.Errorf("find(%q): %v, want %v", rel, err, want)
		}
	}
	// A working dir made where a step removed the source dir's one is a
	// new, opaque dir: the old files do not come back.
	must(t, os.MkdirAll(filepath.Join(v.lower, "olddir"), 0o755))
	must(t, os.WriteFile(filepath.Join(v.lower, "olddir", "f"), nil, 0o644))
	must(t, unix.Mknod(filepath.Join(v.upper, "olddir"), unix.S_IFCHR, 0))
	if _, err := v.dir("olddir"); err != nil {
		t.Fatal(err)
	}
	if !isOpaque(filepath.Join(v.upper, "olddir")) {
		t.Error("the new dir is not opaque")
	}
	if _, _, err := v.find("olddir/f"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("olddir/f: %v, want it gone", err)
	}
}

func TestWorkspaceViewDir(t *testing.T) {
	target := t.TempDir()
	v := layers(t,
		map[string]string{"link": "-> " + target, "file": "x"},
		map[string]string{"src/lib/a.c": "lower", "lsym": "-> " + target})
	for rel, want := range map[string]string{
		"":          "",
		"new/deep":  "",
		"src/lib":   "",
		"link":      "link is a symlink",
		"link/x":    "link is a symlink",
		"lsym/x":    "lsym is a symlink",
		"file":      "not a directory",
		"file/sub":  "not a directory",
		"src/lib/x": "",
	} {
		dir, err := v.dir(rel)
		got := ""
		if err != nil {
			got = err.Error()
		} else if fi, err := os.Lstat(dir); err != nil || !fi.IsDir() || dir != filepath.Join(v.upper, rel) {
			got = fmt.Sprintf("%s: %v", dir, err)
		}
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("dir(%q): %q, want %q", rel, got, want)
		}
	}
	if entries, _ := os.ReadDir(target); len(entries) > 0 {
		t.Errorf("made %v through a symlink", entries)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
