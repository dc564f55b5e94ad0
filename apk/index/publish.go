package index

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
)

// How packages and the index are published together, so that a crash at
// any moment leaves them consistent once the next lock holder has looked:
//
//  1. Each package is written in full under a temporary name beside its
//     final one (fsutil.Create: .NAME.tmp-PID-RANDOM), without the lock.
//  2. Under the lock, the merged index naming the new checksums is written
//     in full under a temporary name too.
//  3. A journal (.pestle-publish-PID) listing every temporary name and the
//     name it replaces is written atomically: from here on the publication
//     is decided.
//  4. The packages are renamed into place, then the index, the directory
//     synced, and the journal removed.
//
// A crash before 3 leaves the old packages and the old index, untouched,
// plus temporary files of a dead writer. A crash after 3 leaves a journal.
// Whoever takes the lock next (Lock) first finishes a journal it finds, by
// renaming what is still under a temporary name (a rename either happened
// or not, so doing it again is safe), then removes the temporary files of
// dead writers (fsutil.RemoveStale). Between a crash and that next lock a
// reader may see a replaced package under the old index; never a torn file.

// journalPrefix names publication journals in a repository directory.
const journalPrefix = ".pestle-publish-"

// Staged is a package written under its temporary name (fsutil.Create for
// its final path in the repository directory), waiting for Publish.
type Staged struct {
	File *fsutil.File
	Info *apk.PackageInfo
}

// Publish puts staged packages in place and merges them into the index of
// dir, in the order described above, under the directory's lock. The
// staged files are committed or, on error, removed.
func Publish(dir string, staged []Staged, opts UpdateOptions) (err error) {
	for _, s := range staged {
		defer s.File.Abort()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lock, err := Lock(dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()

	infos := make([]*apk.PackageInfo, len(staged))
	for i, s := range staged {
		if filepath.Dir(s.File.Path()) != filepath.Clean(dir) {
			return fmt.Errorf("index: staged package %s is not in %s", s.File.Path(), dir)
		}
		infos[i] = s.Info
	}
	path := filepath.Join(dir, FileName)
	var ixFile *fsutil.File
	defer func() {
		if ixFile != nil {
			ixFile.Abort()
		}
	}()
	_, lay, err := mergeFileTo(path, path, infos, opts, log, func(p string, parts ...[]byte) error {
		f, err := fsutil.Create(p)
		if err != nil {
			return err
		}
		ixFile = f
		w := bufio.NewWriter(f)
		for _, part := range parts {
			w.Write(part)
		}
		return w.Flush()
	})
	if err != nil {
		return err
	}
	var j bytes.Buffer
	for _, s := range staged {
		fmt.Fprintf(&j, "%s\t%s\n", filepath.Base(s.File.Name()), filepath.Base(s.File.Path()))
	}
	fmt.Fprintf(&j, "%s\t%s\n", filepath.Base(ixFile.Name()), FileName)
	journal := filepath.Join(dir, journalPrefix+strconv.Itoa(os.Getpid()))
	if err := fsutil.WriteFile(journal, j.Bytes(), 0o644); err != nil {
		return fmt.Errorf("index: writing the publication journal: %w", err)
	}
	for _, s := range staged {
		if err := s.File.Commit(0o644); err != nil {
			return fmt.Errorf("publishing %s: %w (the next build finishes it)", s.File.Path(), err)
		}
	}
	if err := ixFile.Commit(0o644); err != nil {
		return fmt.Errorf("publishing %s: %w (the next build finishes it)", path, err)
	}
	if err := os.Remove(journal); err != nil {
		return err
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return err
	}
	putSidecar(path, lay, opts.Signer, log)
	return nil
}

// recoverDir finishes the publications a dead writer journaled in dir and
// removes the temporary files dead writers left. The caller holds dir's
// lock, so no journal can belong to a live writer.
func recoverDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), journalPrefix) || !e.Type().IsRegular() {
			continue
		}
		if err := replay(dir, filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("finishing the interrupted publication %s: %w", e.Name(), err)
		}
	}
	_, err = fsutil.RemoveStale(dir)
	return err
}

// replay renames into place what a journal lists and is still under its
// temporary name, then removes the journal.
func replay(dir, journal string) error {
	data, err := os.ReadFile(journal)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		tmp, final, ok := strings.Cut(strings.TrimSuffix(line, "\n"), "\t")
		if !ok || !plainName(tmp) || !plainName(final) {
			return fmt.Errorf("malformed line %q", line)
		}
		err := os.Rename(filepath.Join(dir, tmp), filepath.Join(dir, final))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return err
	}
	return os.Remove(journal)
}

// plainName reports a name of a file directly in the directory: not
// empty, no separator, not . or .. (a journal may have come with a copied
// repository).
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && name == filepath.Base(name)
}
