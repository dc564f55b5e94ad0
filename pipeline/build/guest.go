package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pestle-dev/pestle/apk/install"
	"github.com/pestle-dev/pestle/apk/repo"
	"github.com/pestle-dev/pestle/pipeline"
)

// environment is what a guest root is made from.
type environment struct {
	Arch           string
	Repositories   []string
	Keyring        []string
	Packages       []string
	Accounts       pipeline.Accounts
	AllowUntrusted bool
}

// resolveEnv loads the keyring and the repositories' indexes and resolves
// the environment's packages.
func resolveEnv(ctx context.Context, env environment, ropts repo.Options) (*install.Selection, error) {
	if len(env.Packages) == 0 {
		return nil, errors.New("the build environment has no packages: add at least busybox (for /bin/sh) to environment.contents.packages, or pass --package-append busybox")
	}
	ropts.Arch = env.Arch
	sel, err := install.Select(ctx, install.Request{
		World: env.Packages, Repositories: env.Repositories, Keyring: env.Keyring,
		AllowUntrusted: env.AllowUntrusted, Repo: ropts,
	})
	if err != nil {
		return nil, fmt.Errorf("build environment: %w", err)
	}
	return sel, nil
}

// key is the content address of the guest root: the architecture, every
// package's identity in install order, and the accounts.
func rootKey(sel *install.Selection, env environment) string {
	h := sha256.New()
	fmt.Fprintf(h, "pestle-root-v1\narch %s\n", env.Arch)
	for _, p := range sel.Packages {
		fmt.Fprintf(h, "pkg %s %s %x\n", p.Name, p.Version, p.Checksum)
	}
	h.Write(passwdFile(env.Accounts))
	h.Write(groupFile(env.Accounts))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// newRootPrefix names a guest root being installed (then its writer's pid).
const newRootPrefix = ".new-root-"

// guestRoot returns the cached root for the resolved set, installing it on
// first use. The cached copy is never handed to a build: see copyTree.
func guestRoot(ctx context.Context, cache string, env environment, sel *install.Selection, logger *slog.Logger) (string, bool, error) {
	dir := filepath.Join(cache, "roots", rootKey(sel, env))
	if _, err := os.Stat(filepath.Join(dir, ".pestle-root")); err == nil {
		return dir, true, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", false, err
	}
	collectDead(filepath.Dir(dir), newRootPrefix, logger)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), newRootPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", false, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", false, err
	}
	if err := sel.Install(ctx, tmp, env.Arch); err != nil {
		return "", false, err
	}
	if err := writeAccounts(tmp, env.Accounts); err != nil {
		return "", false, err
	}
	for _, d := range []string{"home/build", "tmp", "proc", "dev", "var/cache/melange"} {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			return "", false, err
		}
	}
	if _, err := os.Lstat(filepath.Join(tmp, "bin", "sh")); err != nil {
		return "", false, fmt.Errorf("the build environment has no /bin/sh (packages: %v): add busybox or another shell to environment.contents.packages", env.Packages)
	}
	if err := os.WriteFile(filepath.Join(tmp, ".pestle-root"), []byte(rootKey(sel, env)+"\n"), 0o644); err != nil {
		return "", false, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another build installed the same set meanwhile: use theirs.
		if _, statErr := os.Stat(filepath.Join(dir, ".pestle-root")); statErr == nil {
			return dir, false, nil
		}
		return "", false, err
	}
	return dir, false, nil
}
