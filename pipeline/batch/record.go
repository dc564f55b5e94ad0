package batch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fsutil"
	"github.com/pestle-dev/pestle/keys"
)

// recordDir is the folder of <arch>/ in the out-dir that holds one record
// per recipe: its key, what the key was made from and its packages.
const recordDir = ".pestle"

// maxRecord bounds the size of a record file read back.
const maxRecord = 4 << 20

// Record is what a build of a recipe leaves beside its packages.
type Record struct {
	Name     string          `json:"name"`
	Recipe   string          `json:"recipe"`
	Key      string          `json:"key"`
	Inputs   *KeyInputs      `json:"inputs"`
	Packages []RecordPackage `json:"packages"`
}

// RecordPackage is one package file of a record, relative to <arch>/.
type RecordPackage struct {
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

func recordPath(archDir, name string) string {
	return filepath.Join(archDir, recordDir, name+".json")
}

// readRecord returns the record of name, or nil when there is none.
func readRecord(archDir, name string) (*Record, error) {
	p := recordPath(archDir, name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > maxRecord {
		return nil, fmt.Errorf("%s: not a regular file under %d bytes: remove it", p, maxRecord)
	}
	rec := &Record{}
	if err := json.NewDecoder(f).Decode(rec); err != nil {
		return nil, fmt.Errorf("%s: %w (remove it to rebuild the recipe)", p, err)
	}
	return rec, nil
}

// writeRecord replaces the record of rec.Name atomically.
func writeRecord(archDir string, rec *Record) error {
	dir := filepath.Join(archDir, recordDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFile(recordPath(archDir, rec.Name), append(b, '\n'), 0o644)
}

// verifyPackages checks that every package of rec is in archDir with the
// recorded SHA-256 and, with a keyring, a valid signature and data hash.
// It returns why not, or "".
func verifyPackages(archDir string, rec *Record, kr *keys.Keyring) string {
	if len(rec.Packages) == 0 {
		return "the record lists no packages"
	}
	for _, p := range rec.Packages {
		path := filepath.Join(archDir, filepath.Base(p.File))
		sum, err := fsutil.SHA256File(path)
		if err != nil {
			return p.File + " is missing"
		}
		if sum != p.SHA256 {
			return p.File + " is not the file that was built (its SHA-256 differs)"
		}
		if kr == nil {
			continue
		}
		if _, err := apk.ReadFile(path, apk.ReadOptions{Keyring: kr, HashDataOnly: true}); err != nil {
			return p.File + " does not verify: " + err.Error()
		}
	}
	return ""
}

// keyringOf is the keyring of the public half of the signing key at path
// (nil for an unsigned build).
func keyringOf(path string) (*keys.Keyring, error) {
	if path == "" {
		return nil, nil
	}
	priv, err := keys.LoadPrivate(path)
	if err != nil {
		return nil, err
	}
	name, _ := keys.KeyName(path)
	kr := keys.NewKeyring()
	kr.Add(name, &priv.PublicKey)
	return kr, nil
}
