package repo

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/pestle-dev/pestle/apk"
)

// location is where a repository or key lives: a local path or an
// http(s) URL.
type location struct {
	dir  string   // local directory or file (file:// URLs become paths)
	base *url.URL // http or https, path without a trailing slash
}

func (l location) remote() bool { return l.base != nil }

// String renders the location as a user would write it.
func (l location) String() string {
	if l.base != nil {
		return l.base.String()
	}
	return l.dir
}

// child returns the URL or path of a file below the location; elems are
// already validated names.
func (l location) child(elems ...string) string {
	if l.base != nil {
		u := *l.base
		u.Path = path.Join(append([]string{u.Path}, elems...)...)
		u.RawPath = ""
		return u.String()
	}
	return filepath.Join(append([]string{l.dir}, elems...)...)
}

// parseLocation accepts a local path, a file:// URL or an http(s):// URL.
func parseLocation(s string) (location, error) {
	if strings.TrimSpace(s) == "" {
		return location{}, fmt.Errorf("empty repository or key location")
	}
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return location{dir: filepath.Clean(s)}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return location{}, fmt.Errorf("location %q: %w", s, err)
	}
	switch strings.ToLower(scheme) {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return location{}, fmt.Errorf("location %q: file URLs name a local path (file:///path), not host %q", s, u.Host)
		}
		if u.Path == "" {
			return location{}, fmt.Errorf("location %q: no path", s)
		}
		return location{dir: filepath.Clean(filepath.FromSlash(u.Path))}, nil
	case "http", "https":
		if u.Host == "" {
			return location{}, fmt.Errorf("location %q: no host", s)
		}
		if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
			return location{}, fmt.Errorf("location %q: a repository URL takes no query, fragment or credentials", s)
		}
		u.Scheme = strings.ToLower(u.Scheme)
		if u.Path != "" {
			u.Path = strings.TrimRight(path.Clean(u.Path), "/")
		}
		u.RawPath = ""
		return location{base: u}, nil
	}
	return location{}, fmt.Errorf("location %q: unsupported scheme %q (use a path, file://, http:// or https://)", s, scheme)
}

// normalizeArch returns the apk architecture for arch ("" = the host's,
// Go names accepted as aliases).
func normalizeArch(arch string) (string, error) {
	a, err := apk.NormalizeArch(arch)
	if err != nil {
		return "", err
	}
	if err := checkName("architecture", a); err != nil {
		return "", err
	}
	return a, nil
}

// checkName rejects a package name, version or arch that cannot be a
// single path element: a repository or index must not be able to point a
// download or a cache write outside its directory.
func checkName(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if s[0] == '.' || s[0] == '-' {
		return fmt.Errorf("%s %q: must not start with %q", what, s, s[0])
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("._+-~@", c):
		default:
			return fmt.Errorf("%s %q: character %q is not allowed", what, s, c)
		}
	}
	return nil
}

// LocalDir is the directory of a repository given as a local path or a
// file:// URL; ok is false for an http(s) repository or one that does
// not parse.
func LocalDir(repository string) (dir string, ok bool) {
	l, err := parseLocation(repository)
	if err != nil || l.remote() {
		return "", false
	}
	return l.dir, true
}
