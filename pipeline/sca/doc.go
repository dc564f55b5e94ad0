// Package sca finds what a built package needs and what it offers by
// looking at the files of its output tree: the automatic "depend =" and
// "provides =" lines of .PKGINFO.
//
// Analyze walks one (sub)package tree in lexical order and returns the
// findings, sorted and without duplicates, each with the reason it was
// found (for --log-level debug). Merge then folds them into the package's
// metadata together with the recipe's own lists and drops what the package
// satisfies itself. Nothing is executed and no external tool is used: ELF
// files are read with debug/elf, build info of Go binaries with
// debug/buildinfo, and .pc files and "#!" lines with small parsers that
// take untrusted bytes (fuzzed).
//
// # What is detected
//
// Paths are relative to the tree root. "In dir D" means the file's parent
// directory is exactly D; sub-directories do not count.
//
//	finding                                         result
//	ELF PT_INTERP /lib64/ld-linux-x86-64.so.2       depend so:ld-linux-x86-64.so.2
//	ELF PT_INTERP /lib/ld-musl-x86_64.so.1          depend so:libc.musl-x86_64.so.1
//	ELF DT_NEEDED containing ".so."                 depend so:<lib> (a bare "libfoo.so" is not a dependency)
//	ELF DT_SONAME of a file in a library dir        provides so:<soname>=<ver>, so-ver:<soname>=<V-rE>
//	ELF DT_SONAME of a file elsewhere               vendored (not provided; satisfies the package's own needs)
//	symlink whose path contains ".so"               depend so:<soname of the target>, the target's base name
//	                                                looked up in the library dirs of this tree, then of
//	                                                Options.Siblings (how a -dev package comes to need its library)
//	Go binary, cgo and an OpenSSL-backed crypto     depend openssl-config-fipshardened, so:libcrypto.so.3
//	regular file, mode r-x for all, in bin, sbin,   provides cmd:<name>=<V-rE>
//	usr/bin or usr/sbin
//	"#!" file below usr/bin, usr/local/bin or       depend cmd:<interpreter base name>; "#!/usr/bin/env X" and
//	usr/local/sbin                                  "#!/usr/bin/env -S X …" give cmd:X; sh, python, python3,
//	                                                awk and luajit are left out (nothing provides them as a
//	                                                command in the reference distribution)
//	*.pc in usr/lib/pkgconfig, usr/lib64/pkgconfig, provides pc:<name>=<V-rE>; depend pc:<x> for each module
//	usr/share/pkgconfig, usr/local/lib/pkgconfig,   of Requires, Requires.private and Requires.internal
//	usr/local/share/pkgconfig
//	*.pc elsewhere                                  vendored pc:<name>=<V-rE>
//	<dir>/pythonX.Y/site-packages (a directory)     depend python-X.Y-base
//	usr/lib/perlN/*_perl or lib/perlN/*_perl        depend perl~N
//	usr/lib/ruby/gems/X.Y.Z/gems (or lib/…)         depend ruby-X.Y
//	package named *-doc with usr/share/man/…        depend man-db
//	package named *-doc with usr/share/info/…       depend texinfo
//
// The library dirs are lib, usr/lib, lib64 and usr/lib64, plus every
// absolute directory listed in etc/ld.so.conf.d/*.conf of this tree or of
// a sibling tree. The so: provide version is the numeric part after the
// first ".so." of the soname ("libfoo.so.1.2" gives 1.2), or 0 when there
// is none or it is not purely numeric ("libfoo.so", "libx.so.0unstable").
// A SONAME is only read from a file without PT_INTERP or whose name holds
// ".so." or ends in ".so" (libc and libcap are executable libraries).
// NVIDIA driver libraries that the host injects (libcuda.so.1, …) are
// neither depended on nor provided.
//
// With Options.Environment (the packages installed in the build
// environment), a so:X dependency whose installed provider also publishes
// so-ver:X=… gains "so-ver:X>=<provider version>", and a pc:X dependency
// whose provider publishes pc:X=<version> gains "pc:X>=<provider version>";
// Options.NoVersionedShlibDeps turns both off.
//
// Options.NoCommands removes every cmd: entry (provides and depends),
// NoDepends every detected dependency and NoProvides every detected
// provide. The recipe's own lists are never touched by them.
//
// Merge appends the detected lists to the recipe's (a detected python-,
// ruby- or perl dependency is left out when the recipe already names
// one, as melange does),
// removes duplicates and drops each dependency that the package's own
// provides (or its vendored libraries, or the package itself) satisfy,
// version constraint included. Both lists come out sorted.
//
// # Where pestle differs from melange
//
//   - Every token is checked with the apk dependency grammar before it is
//     kept: a soname, file name or .pc module holding a space, newline,
//     '=' or other operator is logged and skipped instead of corrupting
//     .PKGINFO. A so: version that is not a valid apk version ("1..2",
//     empty) becomes 0.
//   - Symlinks are only followed inside the tree (an absolute target is
//     taken relative to the tree root); nothing on the host is read.
//   - Merge keeps a dependency whose version constraint the package's own
//     provide does not meet (melange drops by name alone).
//   - The versioned so-ver:/pc: dependencies come from the installed
//     build environment only (melange also asks the repository index);
//     libraries of sibling packages built together get no so-ver: bound.
//   - The Go FIPS rule knows the generic settings (CGO_ENABLED=1 with
//     GOEXPERIMENT boringcrypto, systemcrypto or opensslcrypto, or
//     microsoft_systemcrypto=1); distribution-specific build settings
//     (NIST certificate packages, libcrypto.so.4 streams) are not emitted.
//   - The ruby gems pattern accepts any digit in the third version part
//     (melange's pattern only accepts 0 or 9 there).
//   - Kernel images and modules (linux:<version>) are not analysed.
//   - A "#!" line is read up to 256 bytes (melange: 80); "#!/usr/bin/env"
//     followed by an option other than -S is reported as not understood
//     (melange would depend on cmd:<the option>).
//   - The Perl version of lib/perlN/*_perl is taken from perlN (melange
//     reads the wrong path component for lib/).
package sca
