package netrec

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
)

// GuestBundle is the guest's CA bundle, the one Alpine-style roots use.
const GuestBundle = "/etc/ssl/certs/ca-certificates.crt"

// maxBundle bounds the guest CA bundle read.
const maxBundle = 16 << 20

// InstallCA writes the guest's CA bundle with ca appended: the bundle is
// read from the guest root readRoot (when it has one) and written into
// writeRoot, the build's own copy or upper layer, never a shared root. A
// symlink or other non-file at the bundle's path is replaced, never
// followed out of the root.
func InstallCA(readRoot, writeRoot string, ca []byte) error {
	rel := GuestBundle[1:]
	var old []byte
	if rr, err := os.OpenRoot(readRoot); err == nil {
		old, err = readBounded(rr, rel)
		rr.Close()
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("reading the guest's CA bundle: %w", err)
		}
	}
	wr, err := os.OpenRoot(writeRoot)
	if err != nil {
		return err
	}
	defer wr.Close()
	if err := wr.MkdirAll(path.Dir(rel), 0o755); err != nil {
		return fmt.Errorf("guest CA bundle: %w", err)
	}
	if err := wr.Remove(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("guest CA bundle: %w", err)
	}
	f, err := wr.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("guest CA bundle: %w", err)
	}
	if len(old) > 0 && old[len(old)-1] != '\n' {
		old = append(old, '\n')
	}
	_, err = f.Write(append(old, ca...))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func readBounded(r *os.Root, rel string) ([]byte, error) {
	fi, err := r.Lstat(rel)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink == 0 && !fi.Mode().IsRegular() {
		return nil, nil // a FIFO or device: never opened
	}
	f, err := r.Open(rel)
	if err != nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, nil // a dangling link, or one out of the root
		}
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBundle+1))
	if err == nil && len(data) > maxBundle {
		err = fmt.Errorf("%s is larger than %d MiB", GuestBundle, maxBundle>>20)
	}
	return data, err
}

// ProxyURL is the URL steps reach a proxy listening on addr with.
func ProxyURL(addr string) string { return "http://" + addr }

// NoProxy is what steps reach directly: their own sandbox's loopback.
const NoProxy = "localhost,127.0.0.1,::1"

// Env is the environment that sends a step's HTTP(S) traffic through the
// proxy at addr and makes its tools trust the guest bundle (with the
// build's authority in it).
func Env(addr string) map[string]string {
	u := ProxyURL(addr)
	env := map[string]string{
		"HTTP_PROXY": u, "HTTPS_PROXY": u, "http_proxy": u, "https_proxy": u,
		"NO_PROXY": NoProxy, "no_proxy": NoProxy,
	}
	for _, k := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS",
		"CARGO_HTTP_CAINFO", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"} {
		env[k] = GuestBundle
	}
	return env
}
