package sca

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// maxInterp bounds the PT_INTERP segment that is read.
const maxInterp = 4096

func isELF(head []byte) bool { return bytes.HasPrefix(head, []byte(elf.ELFMAG)) }

// hostLibs are NVIDIA driver libraries that the container host injects:
// no package may provide them and a dependency on them cannot be met.
var hostLibs = [...]string{
	"libEGL_nvidia.so.1", "libGLESv1_CM_nvidia.so.1", "libGLESv2_nvidia.so.1", "libGLX_nvidia.so.1",
	"libcuda.so.1", "libcudadebugger.so.1", "libnvcuvid.so.1", "libnvidia-allocator.so.1",
	"libnvidia-cfg.so.1", "libnvidia-eglcore.so.1", "libnvidia-encode.so.1", "libnvidia-fbc.so.1",
	"libnvidia-glcore.so.1", "libnvidia-glsi.so.1", "libnvidia-glvkspirv.so.1",
	"libnvidia-gpucomp.so.1", "libnvidia-ml.so.1", "libnvidia-ngx.so.1", "libnvidia-nvvm.so.1",
	"libnvidia-opencl.so.1", "libnvidia-opticalflow.so.1", "libnvidia-pkcs11-openssl3.so.1",
	"libnvidia-pkcs11.so.1", "libnvidia-ptxjitcompiler.so.1", "libnvidia-rtcore.so.1",
	"libnvidia-tls.so.1", "libnvoptix.so.1",
}

// hostLib reports whether lib is one of hostLibs.
func hostLib(lib string) bool { return slices.Contains(hostLibs[:], lib) }

// fipsExperiments are GOEXPERIMENT values that make a Go binary load
// OpenSSL's libcrypto at run time.
var fipsExperiments = []string{"boringcrypto", "systemcrypto", "opensslcrypto"}

// elfFacts is what one ELF file says about its dependencies.
type elfFacts struct {
	interp  string   // PT_INTERP, "" for none
	needed  []string // DT_NEEDED
	sonames []string // DT_SONAME
	fips    bool     // a Go binary that dlopens libcrypto
}

// readELF reads the dynamic-linking facts of an ELF file. debug/elf parses
// untrusted bytes here; a panic in it is turned into an error so that one
// bad file cannot stop a build.
func readELF(r io.ReaderAt) (facts elfFacts, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed ELF (%v)", p)
		}
	}()
	ef, err := elf.NewFile(r)
	if err != nil {
		return facts, err
	}
	defer ef.Close()
	for _, prog := range ef.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		buf, err := io.ReadAll(io.LimitReader(prog.Open(), maxInterp))
		if err != nil {
			return facts, fmt.Errorf("PT_INTERP: %w", err)
		}
		facts.interp = string(bytes.Trim(buf, "\x00"))
		break
	}
	if facts.needed, err = ef.DynString(elf.DT_NEEDED); err != nil {
		return facts, fmt.Errorf("DT_NEEDED: %w", err)
	}
	if facts.sonames, err = ef.DynString(elf.DT_SONAME); err != nil {
		return facts, fmt.Errorf("DT_SONAME: %w", err)
	}
	if ef.Section(".go.buildinfo") != nil {
		facts.fips = goFIPS(r)
	}
	return facts, nil
}

// goFIPS reports whether a Go binary was built with cgo and a crypto
// backend that loads OpenSSL's libcrypto at run time.
func goFIPS(r io.ReaderAt) bool {
	bi, err := buildinfo.Read(r)
	if err != nil {
		return false
	}
	var cgo, openssl bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "CGO_ENABLED":
			cgo = s.Value == "1"
		case "GOEXPERIMENT":
			for _, x := range strings.Split(s.Value, ",") {
				openssl = openssl || slices.Contains(fipsExperiments, x)
			}
		case "microsoft_systemcrypto":
			openssl = openssl || s.Value == "1"
		}
	}
	return cgo && openssl
}

// elf records the dependencies and provides of the ELF file at p (f is
// the file, or the target of the symlink p).
func (s *scan) elf(p string, f *os.File) {
	facts, err := readELF(f)
	if err != nil {
		s.log.Warn("sca: cannot read ELF file", "path", p, "err", err)
		return
	}
	base := path.Base(p)
	if facts.interp != "" {
		lib := path.Base(facts.interp)
		if rest, ok := strings.CutPrefix(lib, "ld-musl"); ok {
			lib = "libc.musl" + rest // the musl loader is libc itself
		}
		s.soDep(lib, fmt.Sprintf("PT_INTERP of %s (%s)", p, facts.interp))
	}
	for _, lib := range facts.needed {
		if hostLib(lib) || !strings.Contains(lib, ".so.") {
			continue
		}
		s.soDep(lib, "DT_NEEDED of "+p)
	}
	// An executable has no soname, but some carry one anyway; executable
	// libraries (libc, libcap) have an interpreter and a library name.
	if facts.interp == "" || strings.Contains(base, ".so.") || strings.HasSuffix(base, ".so") {
		for _, soname := range facts.sonames {
			if hostLib(soname) {
				continue
			}
			ver := sonameVersion(soname)
			if s.isLib[path.Dir(p)] {
				reason := "DT_SONAME of " + p
				s.add(s.provides, "so:"+soname+"="+ver, reason)
				s.add(s.provides, "so-ver:"+soname+"="+s.opts.Version, reason)
			} else {
				reason := "DT_SONAME of " + p + " (not in a library dir)"
				s.add(s.vendored, "so:"+soname+"="+ver, reason)
				s.add(s.vendored, "so-ver:"+soname+"="+s.opts.Version, reason)
			}
		}
	}
	if facts.fips {
		reason := "Go binary " + p + " loads OpenSSL (cgo with an OpenSSL crypto backend)"
		s.addDep("openssl-config-fipshardened", reason)
		s.addDep("so:libcrypto.so.3", reason)
	}
}

// soDep adds a dependency on the shared library lib, with its versioned
// so-ver: bound when the build environment allows one.
func (s *scan) soDep(lib, reason string) {
	if s.addDep("so:"+lib, reason) {
		s.versioned("so:"+lib, "so-ver:"+lib, reason)
	}
}

// soSymlink handles a symlink whose name contains ".so": the package
// needs the library the link points to, found by base name in the library
// dirs of this tree, then of the sibling trees.
func (s *scan) soSymlink(p, targetBase string) {
	if targetBase == "" || targetBase == "." || targetBase == ".." || targetBase == "/" {
		return
	}
	for _, dir := range s.libDirs {
		if s.soTarget(s.root, p, dir+"/"+targetBase) {
			return
		}
	}
	tree, cand, ok := s.family.find(s.self, targetBase, s.libDirs)
	if !ok {
		return
	}
	r, err := os.OpenRoot(tree)
	if err != nil {
		s.log.Warn("sca: cannot open sibling tree", "dir", tree, "err", err)
		return
	}
	defer r.Close()
	s.soTarget(r, p, cand)
}

// soTarget adds the sonames of the library cand of tree r as dependencies
// of the symlink p; it reports whether cand is a regular file there.
func (s *scan) soTarget(r *os.Root, p, cand string) bool {
	info, err := r.Stat(cand)
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	f, err := r.Open(cand)
	if err != nil {
		return false
	}
	facts, err := readELF(f)
	f.Close()
	if err != nil {
		s.log.Warn("sca: cannot read ELF file", "path", cand, "tree", r.Name(), "err", err)
		return true
	}
	for _, soname := range facts.sonames {
		if !hostLib(soname) {
			s.soDep(soname, fmt.Sprintf("symlink %s to %s", p, cand))
		}
	}
	return true
}

// sonameVersion is the version a so: provide carries: what follows the
// first ".so." when that is a valid dotted number, else "0".
func sonameVersion(soname string) string {
	_, v, ok := strings.Cut(soname, ".so.")
	if !ok {
		return "0"
	}
	v, _, _ = strings.Cut(v, ".so.")
	if v == "" || v[0] == '.' || v[len(v)-1] == '.' || strings.Contains(v, "..") {
		return "0"
	}
	for _, c := range v {
		if c != '.' && (c < '0' || c > '9') {
			return "0"
		}
	}
	return v
}
