package index

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

// BuildOptions configure Build.
type BuildOptions struct {
	// Output is the index file to write.
	Output string
	// Merge keeps the records of Source (a missing Source is an empty
	// index); without it the index holds only the given packages.
	Merge bool
	// Source is the index merged from; "" means Output.
	Source string
	// Keyring verifies Source; nil trusts it (its structure is still
	// checked), as the user named it.
	Keyring *keys.Keyring
	// Arch, when set, skips packages of another architecture (noarch
	// packages are kept: they install on every architecture).
	Arch string
	// Signer signs the index; nil writes it unsigned.
	Signer *keys.Signer
	// Description replaces the DESCRIPTION when not empty.
	Description string
	// SourceDateEpoch is the mtime of the tar entries.
	SourceDateEpoch int64
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
}

// Skipped is a package file left out of the index.
type Skipped struct {
	File   string
	Info   *apk.PackageInfo
	Reason string
}

// BuildResult says what Build did.
type BuildResult struct {
	Added   []*apk.PackageInfo // indexed from the given files, in argument order
	Skipped []Skipped          // files of another architecture
	Total   int                // records in the written index
}

// Build reads the given .apk files as ReadPackages does (signature and
// control segments, identity, datahash; signatures are not required),
// merges them into the index as opts say and writes opts.Output
// atomically, holding the lock of its directory. A package file that fails
// to read stops the whole build before anything is written.
func Build(files []string, opts BuildOptions) (*BuildResult, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Output == "" {
		return nil, errors.New("no output index file given")
	}
	res := &BuildResult{}
	infos, err := ReadPackages(files, log)
	if err != nil {
		return nil, err
	}
	var keep []*apk.PackageInfo
	for i, p := range infos {
		if opts.Arch != "" && p.Arch != opts.Arch && p.Arch != "noarch" {
			res.Skipped = append(res.Skipped, Skipped{File: files[i], Info: p,
				Reason: fmt.Sprintf("architecture %s, expected %s", p.Arch, opts.Arch)})
			continue
		}
		keep = append(keep, p)
	}

	lock, err := Lock(filepath.Dir(opts.Output))
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if opts.Merge {
		src := opts.Source
		if src == "" {
			src = opts.Output
		}
		log.Info("merging", "source", src, "adding", len(keep))
		total, err := mergeFile(src, opts.Output, keep, UpdateOptions{
			Keyring: opts.Keyring, Signer: opts.Signer,
			SourceDateEpoch: opts.SourceDateEpoch, Description: opts.Description,
		}, log)
		if err != nil {
			return nil, fmt.Errorf("merging: %w", err)
		}
		res.Added, res.Total = keep, total
		return res, nil
	}
	pkgs := sortedUnique(keep)
	if err := writeSorted(opts.Output, pkgs, opts.Description, opts.Signer, opts.SourceDateEpoch); err != nil {
		return nil, err
	}
	res.Added = keep
	res.Total = len(pkgs)
	return res, nil
}

// sortedUnique returns the records of (&Index{}).Merge(pkgs...) in index
// order: of several packages with the same name and version, the last
// given. Sorting first puts them side by side (they compare equal but
// for arch and checksum), so no map of every record is needed.
func sortedUnique(pkgs []*apk.PackageInfo) []*apk.PackageInfo {
	type at struct {
		p *apk.PackageInfo
		i int
	}
	all := make([]at, 0, len(pkgs))
	for i, p := range pkgs {
		if p != nil {
			all = append(all, at{p, i})
		}
	}
	slices.SortFunc(all, func(a, b at) int {
		if c := comparePackages(a.p, b.p); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	out := make([]*apk.PackageInfo, 0, len(all))
	last := -1 // the argument index of out's last record
	for _, a := range all {
		if n := len(out); n > 0 && out[n-1].Name == a.p.Name && out[n-1].Version == a.p.Version {
			if a.i > last {
				out[n-1], last = a.p, a.i
			}
			continue
		}
		out, last = append(out, a.p), a.i
	}
	return out
}

// ReadPackages reads the index records (with C: and S:) of .apk files,
// one file per CPU at a time (each worker with its own apk.IndexReader);
// the result is in the order of files. Each package is read as with
// apk.ReadOptions.HashDataOnly: its signature and
// control segments are parsed and its identity computed, and its data
// segment is checked against datahash without being inflated, so per-file
// checksums are not checked (neither does apk-tools' "apk index"; "pestle
// verify" does). Every file is read even after one fails, and the errors
// are joined in the order of files.
func ReadPackages(files []string, log *slog.Logger) ([]*apk.PackageInfo, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	debug := log.Enabled(context.Background(), slog.LevelDebug)
	out := make([]*apk.PackageInfo, len(files))
	errs := make([]error, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			ir := apk.NewIndexReader()
			defer ir.Close()
			for i := int(next.Add(1) - 1); i < len(files); i = int(next.Add(1) - 1) {
				if debug {
					log.Debug("reading package", "file", files[i])
				}
				info, err := ir.ReadFile(files[i])
				if err != nil {
					errs[i] = fileError(files[i], err)
					continue
				}
				out[i] = info
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// fileError names the package file path in err. A package the reader
// could not name from its .PKGINFO it names by the file's base name, which
// path then replaces instead of repeating it ("x/a.apk: a.apk: ...").
func fileError(path string, err error) error {
	if e, ok := err.(*apk.Error); ok && e.Package == filepath.Base(path) {
		named := *e
		named.Package = path
		return &named
	}
	return fmt.Errorf("%s: %w", path, err)
}

// SignResult says what SignFile did.
type SignResult struct {
	// Existing names the keys of the signatures the file had.
	Existing []string
	// Signed is false when the file was already signed and left alone.
	Signed bool
}

// SignFile signs the index at path in place (atomically, under the lock
// of its directory). An index that already carries a signature is left
// alone unless force is set; then its signatures are removed and it is
// signed again. The unsigned content must read as an index.
func SignFile(path string, signer *keys.Signer, force bool, sourceDateEpoch int64) (*SignResult, error) {
	if signer == nil || signer.Key == nil {
		return nil, errors.New("no signing key given")
	}
	lock, err := Lock(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	data, err := readFile(path) // a regular file, bounded: the index may come from anywhere
	if err != nil {
		return nil, err
	}
	sigs, unsigned, err := Split(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	res := &SignResult{}
	for _, s := range sigs {
		res.Existing = append(res.Existing, s.KeyName)
	}
	if len(sigs) > 0 && !force {
		return res, nil
	}
	if _, err := readContent(unsigned); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sig, err := Sign(unsigned, signer, sourceDateEpoch)
	if err != nil {
		return nil, err
	}
	if err := writeAtomic(path, sig, unsigned); err != nil {
		return nil, err
	}
	res.Signed = true
	return res, nil
}
