package sbom

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The SPDX 2.3 JSON shapes pestle writes. Field order is the output order.
type document struct {
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	SPDXVersion       string             `json:"spdxVersion"`
	CreationInfo      creationInfo       `json:"creationInfo"`
	DataLicense       string             `json:"dataLicense"`
	DocumentNamespace string             `json:"documentNamespace"`
	DocumentDescribes []string           `json:"documentDescribes"`
	Packages          []spdxPackage      `json:"packages"`
	ExtractedLicenses []extractedLicense `json:"hasExtractedLicensingInfos,omitempty"`
	Relationships     []relationship     `json:"relationships"`
}

type creationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string        `json:"SPDXID"`
	Name                  string        `json:"name"`
	VersionInfo           string        `json:"versionInfo,omitempty"`
	FilesAnalyzed         bool          `json:"filesAnalyzed"`
	LicenseConcluded      string        `json:"licenseConcluded"`
	LicenseDeclared       string        `json:"licenseDeclared"`
	Description           string        `json:"description,omitempty"`
	DownloadLocation      string        `json:"downloadLocation"`
	Homepage              string        `json:"homepage,omitempty"`
	Originator            string        `json:"originator,omitempty"`
	Supplier              string        `json:"supplier,omitempty"`
	CopyrightText         string        `json:"copyrightText,omitempty"`
	SourceInfo            string        `json:"sourceInfo,omitempty"`
	PrimaryPackagePurpose string        `json:"primaryPackagePurpose,omitempty"`
	Checksums             []checksum    `json:"checksums,omitempty"`
	ExternalRefs          []externalRef `json:"externalRefs,omitempty"`
}

type checksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type externalRef struct {
	Category string `json:"referenceCategory"`
	Locator  string `json:"referenceLocator"`
	Type     string `json:"referenceType"`
}

type extractedLicense struct {
	LicenseID     string `json:"licenseId"`
	Name          string `json:"name"`
	ExtractedText string `json:"extractedText"`
}

type relationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

const (
	docID     = "SPDXRef-DOCUMENT"
	osID      = "SPDXRef-OperatingSystem"
	nsPrefix  = "https://spdx.org/spdxdocs/pestle/"
	purposeOS = "OPERATING_SYSTEM"
)

// ids hands out unique SPDX identifiers.
type ids map[string]bool

func (s ids) make(parts ...string) string {
	for i, p := range parts {
		parts[i] = idString(p, "x")
	}
	base := "SPDXRef-" + strings.Join(parts, "-")
	id := base
	for n := 2; s[id]; n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	s[id] = true
	return id
}

func render(in Input) ([]byte, error) {
	ns := in.Namespace
	if ns == "" {
		ns = "unknown"
	}
	supplier := "Organization: " + orgName(in.Supplier, ns)
	license, refs := normalizeLicense(in.License)
	used := ids{docID: true, osID: true}

	doc := document{
		SPDXID:      docID,
		Name:        "apk-" + in.Name + "-" + in.Version,
		SPDXVersion: "SPDX-2.3",
		CreationInfo: creationInfo{
			Created:  time.Unix(in.Created, 0).UTC().Format(time.RFC3339),
			Creators: creators(in),
		},
		DataLicense: "CC0-1.0",
	}
	doc.Packages = append(doc.Packages, spdxPackage{
		SPDXID:                osID,
		Name:                  ns,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       noAssertion,
		Description:           "Operating System",
		DownloadLocation:      noAssertion,
		Originator:            supplier,
		Supplier:              supplier,
		PrimaryPackagePurpose: purposeOS,
	})

	main := spdxPackage{
		SPDXID:                used.make("Package", in.Name, in.Version),
		Name:                  in.Name,
		VersionInfo:           in.Version,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       license,
		Description:           in.Description,
		DownloadLocation:      noAssertion,
		Homepage:              homepage(in.URL),
		Originator:            supplier,
		Supplier:              supplier,
		CopyrightText:         copyrightText(in.Copyright),
		PrimaryPackagePurpose: "APPLICATION",
		ExternalRefs: []externalRef{{
			Category: "PACKAGE-MANAGER",
			Locator:  apkPurl(ns, in.Name, in.Version, in.Arch).String(),
			Type:     "purl",
		}},
	}
	if in.Origin != "" && in.Origin != in.Name {
		main.SourceInfo = "subpackage of " + in.Origin + "-" + in.Version
	}
	if in.CPE != "" {
		main.ExternalRefs = append(main.ExternalRefs, externalRef{Category: "SECURITY", Locator: in.CPE, Type: "cpe23Type"})
	}
	doc.Packages = append(doc.Packages, main)
	doc.DocumentDescribes = []string{main.SPDXID}
	doc.Relationships = append(doc.Relationships, relationship{Element: docID, Type: "DESCRIBES", Related: main.SPDXID})

	for i, s := range in.Sources {
		p := sourcePackage(in, s, i, license, supplier, used)
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship{Element: main.SPDXID, Type: "GENERATED_FROM", Related: p.SPDXID})
	}

	if in.RecipePath != "" {
		p, more := recipePackage(in, supplier, used)
		for _, r := range more {
			if !slices.ContainsFunc(refs, func(o licenseRef) bool { return o.ID == r.ID }) {
				refs = append(refs, r)
			}
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, relationship{Element: main.SPDXID, Type: "DESCRIBED_BY", Related: p.SPDXID})
	}

	for _, r := range refs {
		text := in.LicenseTexts[r.Name]
		if text == "" {
			text = noAssertion
		}
		doc.ExtractedLicenses = append(doc.ExtractedLicenses, extractedLicense{LicenseID: r.ID, Name: r.Name, ExtractedText: text})
	}

	// The namespace is derived from the content: hash the document
	// rendered with the bare prefix, then render it with the hash.
	prefix := nsPrefix + idString(in.Name, "package") + "-" + idString(in.Version, "0") + "-"
	doc.DocumentNamespace = prefix
	first, err := encode(doc)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(first)
	doc.DocumentNamespace = prefix + hex.EncodeToString(sum[:16])
	return encode(doc)
}

func encode(doc document) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func creators(in Input) []string {
	tool := in.Tool
	if tool == "" {
		tool = "pestle"
	}
	out := []string{"Tool: " + tool}
	if in.Supplier != "" {
		out = append(out, "Organization: "+in.Supplier)
	}
	return out
}

// orgName is the supplier's name: the explicit one, else the namespace with
// its first letter upper-cased ("wolfi" → "Wolfi", "unknown" → "Unknown").
func orgName(supplier, ns string) string {
	if supplier != "" {
		return supplier
	}
	r, n := utf8.DecodeRuneInString(ns)
	return string(unicode.ToUpper(r)) + ns[n:]
}

func homepage(u string) string {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return u
	}
	return ""
}

func copyrightText(attestations []string) string {
	var b strings.Builder
	for _, a := range attestations {
		if a = strings.TrimSpace(a); a != "" {
			b.WriteString(a)
			b.WriteByte('\n')
		}
	}
	if b.Len() == 0 {
		return noAssertion
	}
	return b.String()
}

// baseVersion is a full version without its -rN release suffix.
func baseVersion(v string) string {
	if i := strings.LastIndex(v, "-r"); i > 0 {
		if _, err := strconv.ParseUint(v[i+2:], 10, 64); err == nil {
			return v[:i]
		}
	}
	return v
}

func sourcePackage(in Input, s Source, i int, license, supplier string, used ids) spdxPackage {
	p := spdxPackage{
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       license,
		Supplier:              supplier,
		PrimaryPackagePurpose: "SOURCE",
	}
	n := strconv.Itoa(i)
	switch s.Kind {
	case KindFetch:
		name, version := s.PurlName, s.PurlVersion
		if name == "" {
			name = in.Origin
			if name == "" {
				name = in.Name
			}
		}
		if version == "" {
			version = baseVersion(in.Version)
		}
		p.SPDXID = used.make("Package", name, version, n)
		p.Name, p.VersionInfo = name, version
		p.DownloadLocation = s.URI
		if s.SHA256 != "" {
			p.Checksums = append(p.Checksums, checksum{Algorithm: "SHA256", Value: strings.ToLower(s.SHA256)})
		}
		if s.SHA512 != "" {
			p.Checksums = append(p.Checksums, checksum{Algorithm: "SHA512", Value: strings.ToLower(s.SHA512)})
		}
		p.ExternalRefs = []externalRef{{Category: "PACKAGE-MANAGER", Locator: fetchPurl(name, version, s).String(), Type: "purl"}}
	case KindDownload:
		name := downloadName(s.URI)
		p.SPDXID = used.make("Download", name, n)
		p.Name = name
		p.DownloadLocation = s.URI
		p.PrimaryPackagePurpose = "FILE"
		p.LicenseDeclared = noAssertion
		p.SourceInfo = "downloaded by a build step through pestle's recording network proxy"
		p.Checksums = []checksum{{Algorithm: "SHA256", Value: strings.ToLower(s.SHA256)}}
		p.ExternalRefs = []externalRef{{Category: "PACKAGE-MANAGER", Locator: fetchPurl(name, "", s).String(), Type: "purl"}}
	case KindGitCheckout:
		g := describeGit(s)
		p.SPDXID = used.make("Package", g.name, g.purl.Version, n)
		p.Name, p.VersionInfo = g.name, g.purl.Version
		p.DownloadLocation = g.download
		if g.org != "" {
			p.Originator = "Organization: " + g.org
		}
		if s.Commit != "" {
			p.SourceInfo = "git commit " + strings.ToLower(s.Commit)
		}
		p.ExternalRefs = []externalRef{{Category: "PACKAGE-MANAGER", Locator: g.purl.String(), Type: "purl"}}
	}
	return p
}

// downloadName names a downloaded file after the last element of its URL
// path, or its host when the path has none.
func downloadName(uri string) string {
	rest := uri
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	host, p, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(strings.TrimRight(p, "/"), "/"); i >= 0 {
		p = p[i+1:]
	}
	if p = strings.TrimRight(p, "/"); p == "" {
		return host
	}
	return p
}

func recipePackage(in Input, supplier string, used ids) (spdxPackage, []licenseRef) {
	base := in.RecipePath
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	p := spdxPackage{
		SPDXID:                used.make("Recipe", base),
		Name:                  in.RecipePath,
		VersionInfo:           in.RecipeCommit,
		LicenseConcluded:      noAssertion,
		LicenseDeclared:       noAssertion,
		DownloadLocation:      noAssertion,
		Supplier:              supplier,
		PrimaryPackagePurpose: "INSTALL",
	}
	if in.RecipeSHA256 != "" {
		p.Checksums = []checksum{{Algorithm: "SHA256", Value: strings.ToLower(in.RecipeSHA256)}}
	}
	var refs []licenseRef
	if in.RecipeLicense != "" {
		p.LicenseDeclared, refs = normalizeLicense(in.RecipeLicense)
		p.LicenseConcluded = p.LicenseDeclared
	}
	if in.RecipeRepoURL != "" {
		p.DownloadLocation = in.RecipeRepoURL
		if in.RecipeCommit != "" {
			p.DownloadLocation = "git+" + strings.TrimPrefix(in.RecipeRepoURL, "git+") + "@" + in.RecipeCommit
		}
	}
	return p, refs
}
