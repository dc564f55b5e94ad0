package lint

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// node is one path of a test tree.
type node struct {
	path string
	mode fs.FileMode // Unix permission bits (0o4755); 0 means 0644 (0755 for dirs)
	data []byte
	dir  bool
	link string // symbolic link target
	hard string // hard link to this earlier path
}

func file(p string) node                    { return node{path: p, data: []byte("x")} }
func fileMode(p string, m fs.FileMode) node { return node{path: p, mode: m, data: []byte("x")} }
func content(p string, data []byte, m fs.FileMode) node {
	return node{path: p, mode: m, data: data}
}
func dir(p string) node             { return node{path: p, dir: true} }
func symlink(p, target string) node { return node{path: p, link: target} }
func hardlink(p, to string) node    { return node{path: p, hard: to} }

// goMode turns Unix mode bits (0o4755) into an os.FileMode.
func goMode(m fs.FileMode) fs.FileMode {
	out := m & 0o777
	if m&0o4000 != 0 {
		out |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= fs.ModeSticky
	}
	return out
}

// mkTree builds the nodes under a new temporary directory; parents are
// created 0755 as needed.
func mkTree(t testing.TB, nodes ...node) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range nodes {
		full := filepath.Join(root, filepath.FromSlash(n.path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case n.dir:
			err = os.MkdirAll(full, 0o755)
			if err == nil && n.mode != 0 {
				err = os.Chmod(full, goMode(n.mode))
			}
		case n.link != "":
			err = os.Symlink(n.link, full)
		case n.hard != "":
			err = os.Link(filepath.Join(root, filepath.FromSlash(n.hard)), full)
		default:
			mode := n.mode
			if mode == 0 {
				mode = 0o644
			}
			if err = os.WriteFile(full, n.data, 0o600); err == nil {
				err = os.Chmod(full, goMode(mode)) // not filtered by the umask
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// fakeELF builds a small little-endian ELF64 file for machine whose section
// header table names exactly the given sections (plus the null section and
// .shstrtab). Sections are empty: the linters look only at names.
func fakeELF(machine elf.Machine, sections ...string) []byte {
	const ehdr, shdr = 64, 64
	strtab := []byte{0}
	var offs []uint32
	for _, s := range append(sections, ".shstrtab") {
		offs = append(offs, uint32(len(strtab)))
		strtab = append(append(strtab, s...), 0)
	}
	count := len(sections) + 2
	shoff := uint64(ehdr + len(strtab))
	out := make([]byte, int(shoff)+count*shdr)

	le := binary.LittleEndian
	copy(out, elf.ELFMAG)
	out[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	out[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	out[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le.PutUint16(out[16:], uint16(elf.ET_DYN))
	le.PutUint16(out[18:], uint16(machine))
	le.PutUint32(out[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(out[40:], shoff)
	le.PutUint16(out[52:], ehdr)
	le.PutUint16(out[58:], shdr)
	le.PutUint16(out[60:], uint16(count))
	le.PutUint16(out[62:], uint16(count-1))
	copy(out[ehdr:], strtab)

	header := func(i int, name uint32, typ elf.SectionType, off, size uint64) {
		h := out[int(shoff)+i*shdr:]
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], uint32(typ))
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
	}
	for i := range sections {
		header(i+1, offs[i], elf.SHT_PROGBITS, 0, 0)
	}
	header(count-1, offs[len(sections)], elf.SHT_STRTAB, ehdr, uint64(len(strtab)))
	return out
}

func TestFakeELF(t *testing.T) {
	f, err := elf.NewFile(bytes.NewReader(fakeELF(elf.EM_RISCV, ".text", ".debug_info")))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_RISCV || f.Section(".debug_info") == nil || f.Section(".text") == nil {
		t.Fatalf("fake ELF reads back wrong: %v %v", f.Machine, f.Sections)
	}
}

func findingPaths(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}
