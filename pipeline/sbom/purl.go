package sbom

import (
	"net/url"
	"sort"
	"strings"
)

// purl is a package URL (https://github.com/package-url/purl-spec):
// pkg:type/namespace/name@version?qualifiers#subpath.
type purl struct {
	Type, Namespace, Name, Version string
	Qualifiers                     map[string]string // empty values are left out
	Subpath                        string
}

// String renders the canonical form: segments and values percent-encoded
// (":" is left as is), qualifiers sorted by key.
func (p purl) String() string {
	var b strings.Builder
	b.WriteString("pkg:")
	b.WriteString(strings.ToLower(p.Type))
	b.WriteByte('/')
	if p.Namespace != "" {
		b.WriteString(escapeSegments(p.Namespace))
		b.WriteByte('/')
	}
	b.WriteString(purlEscape(p.Name))
	if p.Version != "" {
		b.WriteByte('@')
		b.WriteString(purlEscape(p.Version))
	}
	keys := make([]string, 0, len(p.Qualifiers))
	for k, v := range p.Qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(strings.ToLower(k))
		b.WriteByte('=')
		b.WriteString(purlEscape(p.Qualifiers[k]))
	}
	if sub := strings.Trim(p.Subpath, "/"); sub != "" {
		b.WriteByte('#')
		b.WriteString(escapeSegments(sub))
	}
	return b.String()
}

func escapeSegments(s string) string {
	parts := strings.Split(strings.Trim(s, "/"), "/")
	for i, p := range parts {
		parts[i] = purlEscape(p)
	}
	return strings.Join(parts, "/")
}

// purlEscape percent-encodes every byte but the unreserved characters of
// RFC 3986 and ":".
func purlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == ':' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// apkPurl is the package URL of an apk: pkg:apk/<ns>/<name>@<version>
// with arch and, unless the namespace is "unknown", distro qualifiers.
func apkPurl(ns, name, version, arch string) purl {
	q := map[string]string{"arch": arch}
	if ns != "unknown" {
		q["distro"] = ns
	}
	return purl{Type: "apk", Namespace: ns, Name: name, Version: version, Qualifiers: q}
}

// fetchPurl is the package URL of a downloaded source archive:
// pkg:generic/<name>@<version>?checksum=<algo>:<hex>&download_url=<uri>.
func fetchPurl(name, version string, s Source) purl {
	q := map[string]string{"download_url": s.URI}
	switch {
	case s.SHA512 != "":
		q["checksum"] = "sha512:" + strings.ToLower(s.SHA512)
	case s.SHA256 != "":
		q["checksum"] = "sha256:" + strings.ToLower(s.SHA256)
	}
	return purl{Type: "generic", Name: name, Version: version, Qualifiers: q}
}

// gitSource is what a git repository URL tells about its upstream.
type gitSource struct {
	purl     purl
	name     string // package name: the repository's base name
	org      string // github/gitlab owner, "" otherwise
	download string // SPDX downloadLocation
}

// describeGit maps a git-checkout source onto its package URL:
// pkg:github/<owner>/<repo>@<ref> for github.com, pkg:gitlab/… for
// gitlab.com, and pkg:generic/<repo>@<ref>?vcs_url=git+<url>@<commit>
// elsewhere. The version is the tag when one was asked for, else the
// commit.
func describeGit(s Source) gitSource {
	ref := s.Tag
	if ref == "" {
		ref = s.Commit
	}
	repo := strings.TrimSuffix(strings.TrimRight(s.URI, "/"), ".git")
	g := gitSource{download: vcsLocation(s)}
	u, err := url.Parse(repo)
	var p string
	if err == nil && u.Path != "" {
		p = strings.Trim(u.Path, "/")
	} else {
		// scp-like "git@host:owner/repo" or a plain path
		p = repo
		if _, after, ok := strings.Cut(repo, ":"); ok && !strings.Contains(repo, "://") {
			p = after
		}
	}
	g.name = p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		g.name = p[i+1:]
	}
	if g.name == "" {
		g.name = "source"
	}
	host := ""
	if err == nil {
		host = strings.ToLower(u.Hostname())
	}
	owner, rest, nested := strings.Cut(p, "/")
	switch {
	case (host == "github.com" || host == "gitlab.com") && nested && !strings.Contains(rest, "/"):
		typ := strings.TrimSuffix(host, ".com")
		g.org = owner
		g.purl = purl{Type: typ, Namespace: owner, Name: rest, Version: ref}
	default:
		vcs := gitURL(s.URI)
		if s.Commit != "" {
			vcs += "@" + s.Commit
		}
		g.purl = purl{Type: "generic", Name: g.name, Version: ref, Qualifiers: map[string]string{"vcs_url": vcs}}
	}
	return g
}

// gitURL prefixes a repository URL with "git+" as SPDX and purl VCS URLs
// want it.
func gitURL(uri string) string {
	if strings.HasPrefix(uri, "git+") {
		return uri
	}
	return "git+" + uri
}

// vcsLocation is the SPDX downloadLocation of a git source:
// git+<url>[@<commit or tag or branch>].
func vcsLocation(s Source) string {
	loc := gitURL(s.URI)
	for _, rev := range []string{s.Commit, s.Tag, s.Branch} {
		if rev != "" {
			return loc + "@" + rev
		}
	}
	return loc
}
