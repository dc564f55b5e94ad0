package apkocheck

import (
	"crypto"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
)

// SourceDateEpoch is the timestamp of every sample package and index.
const SourceDateEpoch = 1700000000

// Repository is a signed repository written by pestle's library.
type Repository struct {
	Dir      string             // repository root; packages and index are in Dir/Arch
	Arch     string             // e.g. x86_64
	KeyName  string             // signature key name, e.g. pestle-check.rsa.pub
	KeyPath  string             // the public key (PEM) in a file named KeyName
	Key      *rsa.PrivateKey    // the signing key
	Samples  []*Sample          // what was packed, in order
	Packages []*apk.PackageInfo // what pestle recorded for each (C:, S:, datahash…)
}

// ArchDir is the directory holding the packages and APKINDEX.tar.gz.
func (r *Repository) ArchDir() string { return filepath.Join(r.Dir, r.Arch) }

// PackagePath is the path of the .apk file of info in the repository.
func (r *Repository) PackagePath(info *apk.PackageInfo) string {
	return filepath.Join(r.ArchDir(), info.Filename())
}

// RepoOptions tune BuildRepository.
type RepoOptions struct {
	KeyName   string      // default "pestle-check.rsa.pub"
	IndexHash crypto.Hash // index signature digest; 0 means SHA-256
	PkgHash   crypto.Hash // package signature digest; 0 means SHA-256
}

// BuildRepository packs samples with apk.WriteFile into dir/arch, signed
// with key, indexes them with index.Update and writes the public key to
// dir/<KeyName>.
func BuildRepository(dir, arch string, key *rsa.PrivateKey, samples []*Sample, opts RepoOptions) (*Repository, error) {
	if opts.KeyName == "" {
		opts.KeyName = "pestle-check.rsa.pub"
	}
	r := &Repository{Dir: dir, Arch: arch, KeyName: opts.KeyName, Key: key, Samples: samples}
	pub, err := keys.EncodePublic(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	r.KeyPath = filepath.Join(dir, opts.KeyName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(r.KeyPath, pub, 0o644); err != nil {
		return nil, err
	}
	trees, err := os.MkdirTemp("", "apkocheck-trees-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(trees)
	for _, s := range samples {
		src := filepath.Join(trees, s.Info.Name)
		if err := os.Mkdir(src, 0o755); err != nil {
			return nil, err
		}
		if err := s.Materialise(src); err != nil {
			return nil, err
		}
		info := s.Info
		info.Provides = append([]string(nil), s.Info.Provides...)
		info.Depends = append([]string(nil), s.Info.Depends...)
		err := apk.WriteFile(r.PackagePath(&info), src, &info, apk.WriteOptions{
			Signer:          &keys.Signer{Key: key, Name: opts.KeyName, Hash: opts.PkgHash},
			SourceDateEpoch: SourceDateEpoch,
			Scripts:         s.Scripts,
		})
		if err != nil {
			return nil, fmt.Errorf("pack %s: %w", s.Info.Name, err)
		}
		r.Packages = append(r.Packages, &info)
	}
	err = index.Update(r.ArchDir(), r.Packages, index.UpdateOptions{
		Signer:          &keys.Signer{Key: key, Name: opts.KeyName, Hash: opts.IndexHash},
		SourceDateEpoch: SourceDateEpoch,
		Description:     "pestle acceptance repository",
	})
	if err != nil {
		return nil, fmt.Errorf("index: %w", err)
	}
	return r, nil
}
