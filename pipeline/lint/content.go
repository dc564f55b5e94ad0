package lint

import (
	"crypto/sha256"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
)

// Linters that read file contents or look at groups of files.

func checkStrip(t *tree) ([]Finding, error) {
	var out []Finding
	t.files(func(e *entry) {
		info := t.elf(e)
		if info == nil || len(info.debug) == 0 {
			return
		}
		names := info.debug
		if len(names) > 3 {
			names = append(slices.Clone(names[:3]), "…")
		}
		out = append(out, Finding{Path: e.path, Message: "unstripped ELF file: debug sections " + strings.Join(names, ", ")})
	})
	return out, t.ctx.Err()
}

// machineName names an ELF machine the way package architectures do (a
// switch: a map literal would be built at every start-up).
func machineName(m elf.Machine) string {
	switch m {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_386:
		return "x86"
	case elf.EM_ARM:
		return "arm"
	case elf.EM_PPC:
		return "ppc"
	case elf.EM_PPC64:
		return "ppc64"
	case elf.EM_S390:
		return "s390x"
	case elf.EM_MIPS:
		return "mips"
	case elf.EM_RISCV:
		return "riscv64"
	case elf.EM_LOONGARCH:
		return "loongarch64"
	case elf.EM_SPARCV9:
		return "sparc64"
	}
	return strings.ToLower(strings.TrimPrefix(m.String(), "EM_"))
}

// packageMachine is the ELF machine a package arch builds for, or
// EM_NONE when unknown.
func packageMachine(arch string) elf.Machine {
	switch arch {
	case "x86_64", "amd64":
		return elf.EM_X86_64
	case "aarch64", "arm64":
		return elf.EM_AARCH64
	}
	return elf.EM_NONE
}

func checkBinaryArch(t *tree) ([]Finding, error) {
	want := packageMachine(t.opts.Arch)
	var out []Finding
	t.files(func(e *entry) {
		info := t.elf(e)
		if info == nil {
			return
		}
		switch m := info.machine; {
		case m != elf.EM_X86_64 && m != elf.EM_AARCH64:
			out = append(out, Finding{Path: e.path, Message: "ELF file for unsupported architecture " + machineName(m)})
		case want != elf.EM_NONE && m != want:
			out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("ELF file for %s in a package for %s", machineName(m), machineName(want))})
		}
	})
	return out, t.ctx.Err()
}

// minDuplicateSize leaves small files (empty __init__.py and the like) out
// of the duplicate check.
const minDuplicateSize = 1024

// licenseFile reports whether a file name is a license or notice, which
// projects legitimately ship in several places.
func licenseFile(name string) bool {
	u := strings.ToUpper(name)
	for _, p := range []string{"LICENSE", "LICENCE", "COPYING", "COPYRIGHT", "NOTICE", "UNLICENSE"} {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

func checkDuplicate(t *tree) ([]Finding, error) {
	type key struct {
		base string
		size int64
	}
	groups := map[key][]*entry{}
	t.files(func(e *entry) {
		if e.regular() && e.size >= minDuplicateSize && !licenseFile(e.base()) {
			k := key{e.base(), e.size}
			groups[k] = append(groups[k], e)
		}
	})
	var out []Finding
	for k, es := range groups {
		if len(es) < 2 {
			continue
		}
		byHash := map[[32]byte][]*entry{}
		for _, e := range es {
			if err := t.ctx.Err(); err != nil {
				return nil, err
			}
			sum, ok := t.sha256(e.path)
			if !ok {
				continue // unreadable: this warning does not judge it
			}
			byHash[sum] = append(byHash[sum], e)
		}
		for _, same := range byHash {
			sort.Slice(same, func(i, j int) bool { return same[i].path < same[j].path })
			first := same[0]
			for _, e := range same[1:] {
				if e.info != nil && first.info != nil && os.SameFile(e.info, first.info) {
					continue // a hard link takes no space
				}
				out = append(out, Finding{Path: e.path, Message: fmt.Sprintf("same name and content as %s (%d bytes)", first.path, k.size)})
			}
		}
	}
	return out, nil
}

func (t *tree) sha256(p string) (sum [32]byte, ok bool) {
	f, err := t.root.Open(p)
	if err != nil {
		return sum, false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, false
	}
	copy(sum[:], h.Sum(nil))
	return sum, true
}

// sitePackages maps each usr/lib/python3.* directory to the names directly
// inside its site-packages.
func sitePackages(t *tree) (versions []string, entries map[string][]string) {
	entries = map[string][]string{}
	for i := range t.entries {
		e := &t.entries[i]
		if path.Dir(e.path) == "usr/lib" && e.isDir() && strings.HasPrefix(e.base(), "python3.") {
			versions = append(versions, e.path)
			continue
		}
		dir := path.Dir(e.path)
		if path.Base(dir) == "site-packages" && path.Dir(path.Dir(dir)) == "usr/lib" && strings.HasPrefix(path.Base(path.Dir(dir)), "python3.") {
			entries[dir] = append(entries[dir], e.base())
		}
	}
	return versions, entries
}

func pythonDirCheck(t *tree, names []string, what string) []Finding {
	_, entries := sitePackages(t)
	var out []Finding
	for dir, list := range entries {
		for _, n := range list {
			if slices.Contains(names, n) {
				out = append(out, Finding{Path: dir + "/" + n, Message: what + " directory in Python site-packages"})
			}
		}
	}
	return out
}

func checkPythonDocs(t *tree) ([]Finding, error) {
	return pythonDirCheck(t, []string{"doc", "docs"}, "documentation"), nil
}

func checkPythonTest(t *tree) ([]Finding, error) {
	return pythonDirCheck(t, []string{"test", "tests"}, "test"), nil
}

// checkPythonMultiple flags site-packages directories that hold more than
// one top-level module (metadata, private names, tests and docs aside), and
// packages that install into several Python versions.
func checkPythonMultiple(t *tree) ([]Finding, error) {
	versions, entries := sitePackages(t)
	var out []Finding
	if len(versions) > 1 {
		out = append(out, Finding{Path: "usr/lib", Message: "files for several Python versions: " + strings.Join(versions, ", ")})
	}
	for dir, list := range entries {
		var mods []string
		for _, n := range list {
			if strings.HasPrefix(n, "_") || slices.Contains([]string{"test", "tests", "doc", "docs"}, n) {
				continue
			}
			ext := path.Ext(n)
			if ext == ".egg-info" || ext == ".dist-info" || ext == ".pth" {
				continue
			}
			mod, _, _ := strings.Cut(n, ".")
			if mod != "" && !slices.Contains(mods, mod) {
				mods = append(mods, mod)
			}
		}
		if len(mods) > 1 {
			sort.Strings(mods)
			out = append(out, Finding{Path: dir, Message: fmt.Sprintf("%d top-level Python modules: %s", len(mods), strings.Join(mods, ", "))})
		}
	}
	return out, nil
}
