package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/install"
	"github.com/pestle-dev/pestle/apk/repo"
)

func init() { register(newInstallCmd, "install") }

func newInstallCmd() *cobra.Command {
	var root, arch, cacheDir string
	var repos, keyring []string
	var allowUntrusted, simulate, asJSON bool
	cmd := &cobra.Command{
		Use:   "install --root DIR -r REPO... -k KEY... PKG...",
		Short: "Install packages and their dependencies into a root directory",
		Long: `Resolves PKG... (names or constraints such as "go>=1.22" or "so:libc.so.6")
against the repositories, verifies every index and package, and installs them
into DIR with apk's database (lib/apk/db) and /etc/apk: like
"apk add --root DIR --initdb". Install scripts are recorded, not run.

Into a root that already has packages, PKG... are added: its world and
the new names are resolved together, and what it has is kept at its
version (an install that would upgrade or remove a package is refused)
and written again from the same packages. As in apk, the root's
etc/apk/keys are trusted beside -k's, and its repositories are used when
no -r is given (and kept beside -r's otherwise).

--simulate (or --dry-run) resolves exactly as an install would, verifying
the indexes, but fetches no package and writes nothing: it prints
"(i/n) Installing NAME (VERSION)" per package in install order, as
"apk add --simulate" does, or with --json the set as data.`,
		Example: `  pestle install --root ./rootfs -r ./packages -k melange.rsa.pub hello-server
  pestle install --root /tmp/r -r https://packages.wolfi.dev/os -k https://packages.wolfi.dev/os/wolfi-signing.rsa.pub busybox
  pestle install --root ./rootfs ca-certificates-bundle    # adds to a root: its repositories and keys
  pestle install --simulate -r ./packages -k melange.rsa.pub hello-server`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && !simulate {
				return fmt.Errorf("--json goes with --simulate")
			}
			if root == "" && !simulate {
				return fmt.Errorf("--root is required: the directory to install into (or --simulate to only show the packages)")
			}
			a, err := apk.NormalizeArch(arch)
			if err != nil {
				return err
			}
			start := time.Now()
			// A root that has packages gets more: its world and the new
			// names are resolved together.
			var have *install.Existing
			if root != "" {
				if have, err = install.ReadRoot(root); err != nil {
					return err
				}
			}
			world := args
			if have != nil {
				if have.Arch != "" && have.Arch != a {
					return fmt.Errorf("%s is a root for %s, not %s: install into it with --arch %s, or into a new root", root, have.Arch, a, have.Arch)
				}
				world = have.Add(args)
			}
			req := install.Request{World: world, Repositories: repos, Keyring: keyring, AllowUntrusted: allowUntrusted,
				Repo: repo.Options{Arch: a, CacheDir: cacheDir, Logger: logger(), Progress: newProgress()}}
			if have != nil {
				// As apk add does: the root's keys are trusted, and its
				// repositories are used unless -r names others.
				req.Keys = have.Keys
				if len(repos) == 0 {
					req.Repositories = have.Repositories
				}
			}
			sel, err := install.Select(cmd.Context(), req)
			if err != nil {
				if have != nil {
					return fmt.Errorf("%w (resolved with what %s already has: %s)", err, root, strings.Join(have.World, " "))
				}
				return err
			}
			if have != nil {
				if err := have.Keeps(sel.Packages); err != nil {
					return fmt.Errorf("%s: %w; install into a new root instead", root, err)
				}
				sel.Existing = have
			}
			if simulate {
				return printPlan(cmd, sel.Plan(), asJSON)
			}
			if err := sel.Install(cmd.Context(), root, a); err != nil {
				return err
			}
			added := have.New(sel.Packages)
			for _, p := range added {
				printf(cmd, "installed %s-%s\n", p.Name, p.Version)
			}
			printf(cmd, "%d package(s) in %s (%s), %d new, in %s\n", len(sel.Packages), root, a, len(added), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&root, "root", "", "directory to install into (created if missing)")
	f.StringSliceVarP(&repos, "repository", "r", nil, "repositories, in priority order (dirs, file:// or http(s) URLs)")
	f.StringSliceVarP(&keyring, "keyring", "k", nil, "trusted public keys (files, dirs or URLs)")
	f.StringVar(&arch, "arch", "", "architecture (x86_64, aarch64 or amd64, arm64; default: the host's)")
	f.StringVar(&cacheDir, "cache-dir", "", "download cache (default: the user cache dir)")
	f.BoolVar(&allowUntrusted, "allow-untrusted", false, "accept unsigned or untrusted indexes")
	f.BoolVar(&simulate, "simulate", false, "resolve and list the packages in install order; fetch and write nothing")
	f.BoolVar(&simulate, "dry-run", false, "the same as --simulate")
	f.BoolVar(&asJSON, "json", false, "with --simulate: print the packages as JSON")
	return cmd
}

// printPlan reports a simulated install: apk's lines, or JSON.
func printPlan(cmd *cobra.Command, plan []install.Planned, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(struct {
			Packages []install.Planned `json:"packages"`
		}{plan})
	}
	for _, line := range install.SimulateLines(plan) {
		printf(cmd, "%s\n", line)
	}
	return nil
}
