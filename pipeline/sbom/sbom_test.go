package sbom

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// helloInput is a package built from one fetched archive and one git
// checkout: the golden case.
func helloInput() Input {
	return Input{
		Name:        "hello",
		Version:     "2.12.1-r3",
		Arch:        "x86_64",
		License:     LicenseExpression([]string{"GPL-3.0-or-later", "MIT OR Apache-2.0"}),
		Namespace:   "wolfi",
		Description: "the GNU hello world program",
		URL:         "https://www.gnu.org/software/hello/",
		Copyright:   []string{"Copyright 1992-2022 Free Software Foundation, Inc."},
		Sources: []Source{
			{
				Kind:   KindFetch,
				URI:    "https://ftp.gnu.org/gnu/hello/hello-2.12.1.tar.gz",
				SHA256: "8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20",
			},
			{
				Kind:   KindGitCheckout,
				URI:    "https://github.com/pestle-dev/hello-extras.git",
				Tag:    "v1.4.0",
				Commit: "0123456789abcdef0123456789abcdef01234567",
			},
		},
		RecipePath:   "hello.yaml",
		RecipeSHA256: "a3f1c2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		Created:      1700000000,
		Tool:         "pestle (test)",
	}
}

func TestGolden(t *testing.T) {
	cases := map[string]Input{
		"hello-2.12.1-r3.spdx.json": helloInput(),
		"hello-doc-2.12.1-r3.spdx.json": func() Input {
			in := helloInput()
			in.Name, in.Origin, in.Description = "hello-doc", "hello", "hello (documentation)"
			return in
		}(),
		"minimal-1-r0.spdx.json": {Name: "minimal", Version: "1-r0", Arch: "aarch64"},
		"gomod-1.0-r0.spdx.json": {Name: "gomod", Version: "1.0-r0", Arch: "x86_64", Sources: []Source{
			{Kind: KindDownload, URI: "https://proxy.golang.org/example.com/m/@v/v1.2.0.zip",
				SHA256: "8c4122dc9e25692019036d04f96d788d1d9394e918dc2a0e96885dfcc8287683"},
			{Kind: KindDownload, URI: "http://files.example.org/",
				SHA256: "1a030abe61b9e8d8deab55dbef6de04308472b29b91cbfd33e5a84f6e902e247"},
		}},
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Generate(in)
			if err != nil {
				t.Fatal(err)
			}
			validate(t, got)
			fixture.Golden(t, filepath.Join("testdata", "golden", name), got, *update)
			if want := FileName(in.Name, in.Version); name != want {
				t.Errorf("case name %q is not the SBOM file name %q", name, want)
			}
		})
	}
}

func TestContent(t *testing.T) {
	data, err := Generate(helloInput())
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	byID := map[string]spdxPackage{}
	for _, p := range doc.Packages {
		byID[p.SPDXID] = p
	}
	main := byID[doc.DocumentDescribes[0]]
	checks := []struct{ what, got, want string }{
		{"document name", doc.Name, "apk-hello-2.12.1-r3"},
		{"created", doc.CreationInfo.Created, "2023-11-14T22:13:20Z"},
		{"package", main.Name + " " + main.VersionInfo, "hello 2.12.1-r3"},
		{"purl", main.ExternalRefs[0].Locator, "pkg:apk/wolfi/hello@2.12.1-r3?arch=x86_64&distro=wolfi"},
		{"license", main.LicenseDeclared, "GPL-3.0-or-later AND (MIT OR Apache-2.0)"},
		{"supplier", main.Supplier, "Organization: Wolfi"},
		{"copyright", main.CopyrightText, "Copyright 1992-2022 Free Software Foundation, Inc.\n"},
		{"homepage", main.Homepage, "https://www.gnu.org/software/hello/"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	var rels []string
	for _, r := range doc.Relationships {
		rels = append(rels, byID[r.Element].Name+" "+r.Type+" "+byID[r.Related].Name)
	}
	wantRels := []string{
		" DESCRIBES hello",
		"hello GENERATED_FROM hello",
		"hello GENERATED_FROM hello-extras",
		"hello DESCRIBED_BY hello.yaml",
	}
	if strings.Join(rels, "\n") != strings.Join(wantRels, "\n") {
		t.Errorf("relationships:\n%s\nwant:\n%s", strings.Join(rels, "\n"), strings.Join(wantRels, "\n"))
	}
	fetch, git := doc.Packages[2], doc.Packages[3]
	if fetch.DownloadLocation != "https://ftp.gnu.org/gnu/hello/hello-2.12.1.tar.gz" ||
		len(fetch.Checksums) != 1 || fetch.Checksums[0].Algorithm != "SHA256" ||
		fetch.ExternalRefs[0].Locator != "pkg:generic/hello@2.12.1?checksum=sha256:8d99142afd92576f30b0cd7cb42a8dc6809998bc5d607d88761f512e26c7db20&download_url=https:%2F%2Fftp.gnu.org%2Fgnu%2Fhello%2Fhello-2.12.1.tar.gz" {
		t.Errorf("fetch source: %+v", fetch)
	}
	if git.VersionInfo != "v1.4.0" || git.DownloadLocation != "git+https://github.com/pestle-dev/hello-extras.git@0123456789abcdef0123456789abcdef01234567" ||
		git.ExternalRefs[0].Locator != "pkg:github/pestle-dev/hello-extras@v1.4.0" || git.Originator != "Organization: pestle-dev" {
		t.Errorf("git source: %+v", git)
	}
	if !strings.HasPrefix(doc.DocumentNamespace, "https://spdx.org/spdxdocs/pestle/hello-2.12.1-r3-") || len(doc.DocumentNamespace) != len("https://spdx.org/spdxdocs/pestle/hello-2.12.1-r3-")+32 {
		t.Errorf("documentNamespace %q", doc.DocumentNamespace)
	}
}

func TestDeterministic(t *testing.T) {
	a, err := Generate(helloInput())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		b, err := Generate(helloInput())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("two runs gave different bytes")
		}
	}
	// Any change of content changes the namespace.
	in := helloInput()
	in.Sources[0].SHA256 = strings.Repeat("0", 64)
	c, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	ns := func(b []byte) string {
		var d document
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d.DocumentNamespace
	}
	if ns(a) == ns(c) {
		t.Error("different documents share a documentNamespace")
	}
}

// TestMelangeShape builds the document melange wrote for the fixture
// packages and checks that the fields consumers read agree with it.
func TestMelangeShape(t *testing.T) {
	pkgs, _ := filepath.Glob(fixture.Path(t, "melange-repo", "x86_64", "*.apk"))
	if len(pkgs) == 0 {
		t.Fatal("no melange fixture packages")
	}
	for _, file := range pkgs {
		t.Run(filepath.Base(file), func(t *testing.T) {
			dir := t.TempDir()
			p, err := apk.ReadFile(file, apk.ReadOptions{ExtractTo: dir})
			if err != nil {
				t.Fatal(err)
			}
			info := p.Info
			theirs, err := os.ReadFile(filepath.Join(dir, Path(info.Name, info.Version)))
			if err != nil {
				t.Fatalf("melange's SBOM is not where Path says: %v", err)
			}
			ours, err := Generate(Input{Name: info.Name, Version: info.Version, Arch: info.Arch, License: info.License, Namespace: info.Maintainer})
			if err != nil {
				t.Fatal(err)
			}
			validate(t, ours)
			var a, b document
			if err := json.Unmarshal(theirs, &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(ours, &b); err != nil {
				t.Fatal(err)
			}
			describedBy := func(d document) spdxPackage {
				for _, p := range d.Packages {
					if p.SPDXID == d.DocumentDescribes[0] {
						return p
					}
				}
				t.Fatal("described package missing")
				return spdxPackage{}
			}
			ma, mb := describedBy(a), describedBy(b)
			for _, f := range []struct{ what, theirs, ours string }{
				{"document name", a.Name, b.Name},
				{"spdxVersion", a.SPDXVersion, b.SPDXVersion},
				{"dataLicense", a.DataLicense, b.DataLicense},
				{"name", ma.Name, mb.Name},
				{"versionInfo", ma.VersionInfo, mb.VersionInfo},
				{"licenseDeclared", ma.LicenseDeclared, mb.LicenseDeclared},
				{"supplier", ma.Supplier, mb.Supplier},
				{"purl", ma.ExternalRefs[0].Locator, mb.ExternalRefs[0].Locator},
			} {
				if f.theirs != f.ours {
					t.Errorf("%s: melange %q, pestle %q", f.what, f.theirs, f.ours)
				}
			}
		})
	}
}

func TestEdgeInputs(t *testing.T) {
	in := Input{
		Name: "weird", Version: "1.0+git20240101-r0", Arch: "x86_64",
		License:      "Custom License AND MIT",
		LicenseTexts: map[string]string{"Custom License AND MIT": "Permission is granted."},
		Namespace:    "ünïcode",
		URL:          "not a url",
		Origin:       "weird",
		Sources: []Source{
			{Kind: KindGitCheckout, URI: "https://github.com/a/b", Commit: "ff"},
			{Kind: KindGitCheckout, URI: "https://github.com/a/b", Commit: "ff"},
			{Kind: KindFetch, URI: "https://x/y.zip", PurlName: "y", PurlVersion: "2"},
		},
		RecipePath: `sub\dir/recipe file.yaml`,
	}
	data, err := Generate(in)
	if err != nil {
		t.Fatal(err)
	}
	validate(t, data)
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.ExtractedLicenses) != 1 || doc.ExtractedLicenses[0].ExtractedText != "Permission is granted." {
		t.Errorf("extracted licenses: %+v", doc.ExtractedLicenses)
	}
	if doc.Packages[1].Homepage != "" {
		t.Errorf("a homepage that is not a URL was kept: %q", doc.Packages[1].Homepage)
	}
}

func TestInvalidInput(t *testing.T) {
	bad := []Input{
		{Version: "1-r0"},
		{Name: "x"},
		{Name: "../x", Version: "1-r0"},
		{Name: "x", Version: "1/2-r0"},
		{Name: "x", Version: "1-r0", Sources: []Source{{Kind: "svn", URI: "u"}}},
		{Name: "x", Version: "1-r0", Sources: []Source{{Kind: KindFetch}}},
		{Name: "x", Version: "1-r0", Sources: []Source{{Kind: KindFetch, URI: "u", SHA256: "xyz"}}},
		{Name: "x", Version: "1-r0", RecipeSHA256: "not-hex"},
	}
	for i, in := range bad {
		if _, err := Generate(in); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("case %d: error %v, want ErrInvalidInput", i, err)
		}
	}
}

func TestWrite(t *testing.T) {
	tree := t.TempDir()
	// A stale file of the same name is replaced, other files kept.
	if err := os.MkdirAll(filepath.Join(tree, Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(tree, Path("hello", "2.12.1-r3"))
	if err := os.WriteFile(stale, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := helloInput()
	got, err := Write(tree, in)
	if err != nil {
		t.Fatal(err)
	}
	if got != stale {
		t.Errorf("Write returned %q, want %q", got, stale)
	}
	data, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Generate(in)
	if !bytes.Equal(data, want) {
		t.Error("written file differs from Generate")
	}
	if fi, _ := os.Stat(got); fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", fi.Mode().Perm())
	}

	// Fresh tree: every created directory is 0755.
	fresh := t.TempDir()
	if _, err := Write(fresh, Input{Name: "a", Version: "1-r0"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"var", "var/lib", "var/lib/db", "var/lib/db/sbom"} {
		if fi, err := os.Stat(filepath.Join(fresh, d)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: %v %v, want a 0755 directory", d, fi.Mode(), err)
		}
	}
}

func TestWriteRefusesEscape(t *testing.T) {
	tree, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(tree, "var")); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(tree, Input{Name: "a", Version: "1-r0"}); err == nil {
		t.Fatal("Write followed a symbolic link out of the tree")
	}
	entries, _ := os.ReadDir(outside)
	if len(entries) != 0 {
		t.Errorf("Write created %v outside the tree", entries)
	}

	// A symbolic link that stays inside the tree is followed.
	inside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(inside, "data", "var"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data/var", filepath.Join(inside, "var")); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(inside, Input{Name: "a", Version: "1-r0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(inside, "data", "var", "lib", "db", "sbom", "a-1-r0.spdx.json")); err != nil {
		t.Error(err)
	}

	// A file where a directory must be is an error naming it.
	blocked := t.TempDir()
	if err := os.WriteFile(filepath.Join(blocked, "var"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(blocked, Input{Name: "a", Version: "1-r0"}); err == nil || !strings.Contains(err.Error(), "var exists") {
		t.Errorf("error %v, want one naming var", err)
	}
}

func BenchmarkGenerate(b *testing.B) {
	in := helloInput()
	for b.Loop() {
		if _, err := Generate(in); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSchemaRejects proves the schema check has teeth: documents with a
// missing required field or a purpose outside the enum (melange writes
// "OPERATING-SYSTEM", which SPDX 2.3 spells OPERATING_SYSTEM) fail.
func TestSchemaRejects(t *testing.T) {
	good, err := Generate(helloInput())
	if err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(map[string]any){
		"no documentNamespace": func(d map[string]any) { delete(d, "documentNamespace") },
		"purpose with a dash": func(d map[string]any) {
			d["packages"].([]any)[0].(map[string]any)["primaryPackagePurpose"] = "OPERATING-SYSTEM"
		},
		"unknown relationship": func(d map[string]any) {
			d["relationships"].([]any)[0].(map[string]any)["relationshipType"] = "OWNS"
		},
	} {
		var d map[string]any
		if err := json.Unmarshal(good, &d); err != nil {
			t.Fatal(err)
		}
		mutate(d)
		data, _ := json.Marshal(d)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if spdxSchema(t).Validate(inst) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}
