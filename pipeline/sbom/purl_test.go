package sbom

import "testing"

func TestPurls(t *testing.T) {
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"apk unknown namespace", apkPurl("unknown", "replayout", "1.0.0-r0", "x86_64").String(), "pkg:apk/unknown/replayout@1.0.0-r0?arch=x86_64"},
		{"apk distro", apkPurl("wolfi", "py3-foo", "1.0_rc1-r2", "aarch64").String(), "pkg:apk/wolfi/py3-foo@1.0_rc1-r2?arch=aarch64&distro=wolfi"},
		{"apk plus", apkPurl("wolfi", "libstdc++", "13-r0", "x86_64").String(), "pkg:apk/wolfi/libstdc%2B%2B@13-r0?arch=x86_64&distro=wolfi"},
		{"fetch sha512", fetchPurl("zlib", "1.3", Source{URI: "https://zlib.net/zlib-1.3.tar.gz?x=1&y=2", SHA512: "AB"}).String(),
			"pkg:generic/zlib@1.3?checksum=sha512:ab&download_url=https:%2F%2Fzlib.net%2Fzlib-1.3.tar.gz%3Fx%3D1%26y%3D2"},
		{"github commit", describeGit(Source{URI: "https://github.com/Org/Repo", Commit: "abc"}).purl.String(), "pkg:github/Org/Repo@abc"},
		{"gitlab tag", describeGit(Source{URI: "https://gitlab.com/grp/proj.git", Tag: "1.0", Commit: "abc"}).purl.String(), "pkg:gitlab/grp/proj@1.0"},
		{"gitlab subgroup", describeGit(Source{URI: "https://gitlab.com/grp/sub/proj.git", Commit: "abc"}).purl.String(),
			"pkg:generic/proj@abc?vcs_url=git%2Bhttps:%2F%2Fgitlab.com%2Fgrp%2Fsub%2Fproj.git%40abc"},
		{"other host", describeGit(Source{URI: "https://git.kernel.org/pub/scm/utils/dtc/dtc.git", Commit: "abc"}).purl.String(),
			"pkg:generic/dtc@abc?vcs_url=git%2Bhttps:%2F%2Fgit.kernel.org%2Fpub%2Fscm%2Futils%2Fdtc%2Fdtc.git%40abc"},
		{"file repo", describeGit(Source{URI: "file:///tmp/src/repo", Commit: "abc"}).purl.String(),
			"pkg:generic/repo@abc?vcs_url=git%2Bfile:%2F%2F%2Ftmp%2Fsrc%2Frepo%40abc"},
		{"scp-like", describeGit(Source{URI: "git@example.org:team/tool.git", Commit: "abc"}).purl.String(),
			"pkg:generic/tool@abc?vcs_url=git%2Bgit%40example.org:team%2Ftool.git%40abc"},
		{"subpath", purl{Type: "GitHub", Namespace: "a/b", Name: "c d", Subpath: "/x y/z/"}.String(), "pkg:github/a/b/c%20d#x%20y/z"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
	if got := describeGit(Source{URI: "https://example.org/r.git", Branch: "main"}).download; got != "git+https://example.org/r.git@main" {
		t.Errorf("download location with only a branch: %s", got)
	}
}
