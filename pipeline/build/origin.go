package build

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RecipeOrigin says where a recipe comes from (melange's --git-commit,
// --git-repo-url and --license).
type RecipeOrigin struct {
	// Commit of the repository holding the recipe. It becomes the
	// packages' commit when the recipe sets none, and the recipe's version
	// in the SBOM. Empty: detected from the recipe's git checkout, if any.
	Commit string
	// RepoURL is that repository's URL, recorded in the SBOM.
	RepoURL string
	// License is the license of the recipe file itself (SBOM); empty
	// means NOASSERTION.
	License string
}

// resolve fills Commit from the git checkout around recipe when it was
// not given. A recipe outside git keeps an empty commit.
func (o RecipeOrigin) resolve(recipe string) RecipeOrigin {
	if o.Commit == "" {
		o.Commit, _ = GitHead(filepath.Dir(recipe))
	}
	return o
}

// GitHead returns the commit checked out in the git work tree holding dir,
// reading .git directly (HEAD, a loose ref or packed-refs). It follows a
// ".git" file (worktrees, submodules) one level.
func GitHead(dir string) (string, error) {
	gitDir, err := findGitDir(dir)
	if err != nil {
		return "", err
	}
	head, err := readSmall(filepath.Join(gitDir, "HEAD"))
	if err != nil {
		return "", err
	}
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return checkHash(head)
	}
	common := gitDir
	if c, err := readSmall(filepath.Join(gitDir, "commondir")); err == nil {
		common = c
		if !filepath.IsAbs(c) {
			common = filepath.Join(gitDir, c)
		}
	}
	for _, d := range []string{gitDir, common} {
		if h, err := readSmall(filepath.Join(d, filepath.FromSlash(ref))); err == nil {
			return checkHash(h)
		}
	}
	packed, err := os.ReadFile(filepath.Join(common, "packed-refs"))
	if err != nil {
		return "", fmt.Errorf("git ref %s not found", ref)
	}
	sc := bufio.NewScanner(bytes.NewReader(packed))
	for sc.Scan() {
		if h, name, ok := strings.Cut(sc.Text(), " "); ok && name == ref {
			return checkHash(h)
		}
	}
	return "", fmt.Errorf("git ref %s not found", ref)
}

func findGitDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		if fi, err := os.Stat(p); err == nil {
			if fi.IsDir() {
				return p, nil
			}
			s, err := readSmall(p)
			if err != nil {
				return "", err
			}
			if g, ok := strings.CutPrefix(s, "gitdir: "); ok {
				if !filepath.IsAbs(g) {
					g = filepath.Join(d, g)
				}
				return g, nil
			}
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("%s is not in a git work tree", abs)
		}
	}
}

// readSmall reads a short text file and trims it.
func readSmall(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, _ := f.Read(buf)
	return strings.TrimSpace(string(buf[:n])), nil
}

func checkHash(s string) (string, error) {
	if len(s) != 40 && len(s) != 64 {
		return "", fmt.Errorf("%q is not a git commit hash", s)
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("%q is not a git commit hash", s)
		}
	}
	return s, nil
}

// CheckRunner accepts melange's --runner values that pestle can honour:
// "" and "bubblewrap". The others get an error that says what to do.
func CheckRunner(name string) error {
	switch name {
	case "", "bubblewrap":
		return nil
	case "docker", "qemu", "experimentaldagger", "kubernetes":
		return fmt.Errorf("--runner %s is not supported: pestle runs every step in bubblewrap; drop --runner or pass --runner bubblewrap (e.g. make MELANGE_RUNNER=bubblewrap)", name)
	}
	return fmt.Errorf("unknown runner %q: pestle runs steps in bubblewrap; pass --runner bubblewrap or leave it out", name)
}
