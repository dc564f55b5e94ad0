package sbom

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Dir is where a package keeps its SBOM, relative to the package root.
const Dir = "var/lib/db/sbom"

// Source kinds.
const (
	KindFetch       = "fetch"
	KindGitCheckout = "git-checkout"
	// KindDownload is a file a build step downloaded through pestle's
	// network proxy (URI and SHA256 as recorded).
	KindDownload = "download"
)

// Source is one upstream source a package was built from: a `fetch` step
// (URI with SHA256 or SHA512) or a `git-checkout` step (URI is the
// repository, Commit the commit checked out, Tag or Branch what was asked
// for).
type Source struct {
	Kind        string // KindFetch or KindGitCheckout
	URI         string
	SHA256      string // fetch: expected-sha256 (hex)
	SHA512      string // fetch: expected-sha512 (hex)
	Commit      string // git-checkout: the commit (40 hex)
	Tag         string // git-checkout: tag input, if any
	Branch      string // git-checkout: branch input, if any
	PurlName    string // fetch: purl-name input; default: the origin package name
	PurlVersion string // fetch: purl-version input; default: the version without -rN
}

// Input describes one (sub)package.
type Input struct {
	Name         string   // package name
	Version      string   // full version, V-rN
	Arch         string   // apk arch (x86_64, aarch64)
	License      string   // SPDX expression (see LicenseExpression); "" means NOASSERTION
	Namespace    string   // purl namespace and distro; "" means "unknown"
	Description  string   // package description
	URL          string   // upstream homepage
	Supplier     string   // organization shipping the package; "" means the namespace, title-cased
	Origin       string   // origin package when Name is a subpackage
	CPE          string   // CPE 2.3 name, if known
	Copyright    []string // copyright attestations; none means NOASSERTION
	Sources      []Source // upstream sources, in recipe order
	RecipePath   string   // recipe file as the user names it (e.g. "hello.yaml"); "" leaves the recipe out
	RecipeSHA256 string   // hex SHA-256 of the recipe file
	RecipeCommit string   // commit of the repository holding the recipe, if known
	// RecipeRepoURL is the URL of that repository, if known; RecipeLicense
	// the license of the recipe file ("" means NOASSERTION).
	RecipeRepoURL, RecipeLicense string
	// LicenseTexts gives the text of licenses that are not SPDX
	// identifiers, keyed by the license name as the recipe writes it.
	LicenseTexts map[string]string
	Created      int64  // SOURCE_DATE_EPOCH: the document's creation time
	Tool         string // creator tool, e.g. "pestle (v0.3.0)"; "" means "pestle"
}

// ErrInvalidInput is wrapped by every error about a missing or malformed
// Input field.
var ErrInvalidInput = errors.New("invalid SBOM input")

func (in *Input) check() error {
	bad := func(field, why string) error {
		return fmt.Errorf("%w: package %q: %s %s", ErrInvalidInput, in.Name, field, why)
	}
	if in.Name == "" || strings.ContainsAny(in.Name, "/\x00") || in.Name == "." || in.Name == ".." {
		return bad("Name", "must be a package name")
	}
	if in.Version == "" || strings.ContainsAny(in.Version, "/\x00") {
		return bad("Version", "must be a full version such as 1.2.3-r0")
	}
	for i, s := range in.Sources {
		switch s.Kind {
		case KindFetch, KindGitCheckout:
		case KindDownload:
			if s.SHA256 == "" {
				return bad(fmt.Sprintf("Sources[%d].SHA256", i), "is empty (a download is recorded with its checksum)")
			}
		default:
			return bad(fmt.Sprintf("Sources[%d].Kind", i), fmt.Sprintf("is %q; want %q, %q or %q", s.Kind, KindFetch, KindGitCheckout, KindDownload))
		}
		if s.URI == "" {
			return bad(fmt.Sprintf("Sources[%d].URI", i), "is empty")
		}
		for _, h := range []struct{ name, v string }{{"SHA256", s.SHA256}, {"SHA512", s.SHA512}, {"Commit", s.Commit}} {
			if h.v != "" && !isHex(h.v) {
				return bad(fmt.Sprintf("Sources[%d].%s", i, h.name), "is not hexadecimal")
			}
		}
	}
	if in.RecipeSHA256 != "" && !isHex(in.RecipeSHA256) {
		return bad("RecipeSHA256", "is not hexadecimal")
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// FileName is the SBOM's file name for a package: <name>-<version>.spdx.json.
func FileName(name, version string) string { return name + "-" + version + ".spdx.json" }

// Path is the SBOM's path inside a package tree, without a leading slash.
func Path(name, version string) string { return path.Join(Dir, FileName(name, version)) }

// Generate renders the SPDX 2.3 JSON document of in: two-space indent,
// trailing newline, identical bytes for identical input.
func Generate(in Input) ([]byte, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	return render(in)
}

// Write generates the SBOM of in and writes it into the package tree at
// var/lib/db/sbom/<name>-<version>.spdx.json (directories 0755, file 0644),
// replacing any file of that name. The tree is opened as an os.Root, so a
// symbolic link planted by the build cannot redirect the write outside it.
// It returns the path written.
func Write(tree string, in Input) (string, error) {
	data, err := Generate(in)
	if err != nil {
		return "", err
	}
	root, err := os.OpenRoot(tree)
	if err != nil {
		return "", fmt.Errorf("writing SBOM of %s: %w", in.Name, err)
	}
	defer root.Close()
	if err := mkdirs(root, Dir); err != nil {
		return "", fmt.Errorf("writing SBOM of %s: %w", in.Name, err)
	}
	rel := Path(in.Name, in.Version)
	if err := root.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("writing SBOM of %s: %w", in.Name, err)
	}
	if err := root.WriteFile(rel, data, 0o644); err != nil {
		return "", fmt.Errorf("writing SBOM of %s: %w", in.Name, err)
	}
	// The mode given to WriteFile is filtered by the umask.
	if err := root.Chmod(rel, 0o644); err != nil {
		return "", fmt.Errorf("writing SBOM of %s: %w", in.Name, err)
	}
	return tree + string(os.PathSeparator) + rel, nil
}

// mkdirs creates each missing directory of dir with mode 0755 (whatever the
// umask); directories that exist keep their mode.
func mkdirs(root *os.Root, dir string) error {
	cur := ""
	for _, part := range strings.Split(dir, "/") {
		cur = path.Join(cur, part)
		fi, err := root.Stat(cur) // symbolic links are followed only inside the root
		switch {
		case err == nil && fi.IsDir():
			continue
		case err == nil:
			return fmt.Errorf("%s exists in the package tree and is not a directory", cur)
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		if err := root.Mkdir(cur, 0o755); err != nil {
			return err
		}
		if err := root.Chmod(cur, 0o755); err != nil {
			return err
		}
	}
	return nil
}
