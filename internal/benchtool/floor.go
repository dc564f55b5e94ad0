package main

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/klauspost/compress/gzip"

	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
)

// mainControls is the floor of indexing: open each package, read it and
// inflate its first two gzip members (the signature and the control
// segment), on every CPU, and nothing else: no parsing, no hashing, no
// writing. Each worker reuses its read buffer and its decompressor, and
// reads a file with one open, one read and one close, as a tool indexing
// many packages would.
func mainControls(args []string) {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var next atomic.Int64
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			zr := new(gzip.Reader)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(args) || errs[w] != nil {
					return
				}
				errs[w] = inflateControl(args[i], buf, zr)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool controls:", err)
		os.Exit(1)
	}
}

// inflateControl reads path with one read into buf (the benchmark's
// packages are far smaller) and inflates its first two gzip members.
func inflateControl(path string, buf []byte, zr *gzip.Reader) error {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	br := bytes.NewReader(buf[:n])
	for range 2 {
		if err := zr.Reset(br); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		zr.Multistream(false)
		if _, err := io.Copy(io.Discard, zr); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// mainIndex writes a signed index of n made-up records (the metadata of
// benchtool pkgs, with made-up checksums): the base of the merge benchmark
// at sizes where making the packages would take too long.
func mainIndex(args []string) {
	fs := flag.NewFlagSet("index", flag.ExitOnError)
	n := fs.Int("n", 100000, "number of records")
	key := fs.String("key", "", "RSA private key that signs the index (unsigned when empty)")
	out := fs.String("o", "", "output file (required)")
	fs.Parse(args)
	if *out == "" {
		fmt.Fprintln(os.Stderr, "benchtool index: -o FILE is required")
		os.Exit(2)
	}
	if err := makeIndex(*out, *n, *key); err != nil {
		fmt.Fprintln(os.Stderr, "benchtool index:", err)
		os.Exit(1)
	}
}

func makeIndex(out string, n int, keyFile string) error {
	ix := &index.Index{Description: "benchmark index"}
	for i := range n {
		p := pkgInfo(i, n)
		sum := sha1.Sum([]byte(p.Name + "-" + p.Version))
		p.Checksum = sum[:]
		p.Size, p.FileSize = 4096, 1024
		ix.Packages = append(ix.Packages, p)
	}
	var s *keys.Signer
	if keyFile != "" {
		var err error
		if s, _, err = keys.LoadSigner(keyFile); err != nil {
			return err
		}
		s.Hash = crypto.SHA256
	}
	return index.WriteFile(out, ix, s, 1700000000)
}
