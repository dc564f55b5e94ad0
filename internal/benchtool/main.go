package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/keys"
)

const usage = `usage: benchtool pkgs -n N -key KEY.rsa -o DIR
       benchtool index -n N -key KEY.rsa -o APKINDEX.tar.gz
       benchtool controls FILE.apk...
       benchtool relay -listen ADDR`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "pkgs":
	case "index":
		mainIndex(os.Args[2:])
		return
	case "controls":
		mainControls(os.Args[2:])
		return
	case "relay":
		mainRelay(os.Args[2:])
		return
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	fs := flag.NewFlagSet("pkgs", flag.ExitOnError)
	n := fs.Int("n", 5000, "number of packages")
	key := fs.String("key", "", "RSA private key that signs the packages (unsigned when empty)")
	out := fs.String("o", "", "output directory (required)")
	fs.Parse(os.Args[2:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "benchtool pkgs: -o DIR is required")
		os.Exit(2)
	}
	if err := makePackages(*out, *n, *key); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool pkgs:", err)
		os.Exit(1)
	}
}

// pkgInfo is the metadata of package i of n: groups of four sharing an
// origin (main, -dev, -doc, -libs), a few dependencies and provides.
func pkgInfo(i, n int) *apk.PackageInfo {
	origin := "bench" + strconv.Itoa(i/4)
	name := origin + []string{"", "-dev", "-doc", "-libs"}[i%4]
	ver := fmt.Sprintf("%d.%d.%d-r%d", i%7, i%13, i%29, i%3)
	return &apk.PackageInfo{
		Name: name, Version: ver, Arch: "x86_64",
		Description: "Package number " + strconv.Itoa(i) + " of the benchmark repository",
		URL:         "https://example.org/" + origin, License: "MIT", Origin: origin,
		Maintainer: "Bench Maintainer <bench@example.org>",
		Commit:     fmt.Sprintf("%040x", i),
		Depends:    []string{"busybox", "bench" + strconv.Itoa((i+4)%n/4)},
		Provides:   []string{"cmd:" + name + "=" + ver},
	}
}

// makePackages writes packages 0..n-1 into dir, skipping those already
// there, on every CPU.
func makePackages(dir string, n int, keyFile string) error {
	opts := apk.WriteOptions{SourceDateEpoch: 1700000000}
	if keyFile != "" {
		s, _, err := keys.LoadSigner(keyFile)
		if err != nil {
			return err
		}
		opts.Signer = s
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	trees, err := os.MkdirTemp("", "benchtool-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(trees)

	next := make(chan int)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if errs[w] == nil {
					errs[w] = makePackage(dir, trees, i, n, opts)
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// makePackage writes package i: one small text file and one directory.
func makePackage(dir, trees string, i, n int, opts apk.WriteOptions) error {
	info := pkgInfo(i, n)
	path := filepath.Join(dir, info.Filename())
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tree := filepath.Join(trees, strconv.Itoa(i))
	file := filepath.Join(tree, "usr", "share", info.Name, "README")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	body := fmt.Sprintf("%s %s\n\nThis file is package %d of %d of the benchmark repository.\n", info.Name, info.Version, i, n)
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		return err
	}
	if err := apk.WriteFile(path, tree, info, opts); err != nil {
		return err
	}
	return os.RemoveAll(tree)
}
