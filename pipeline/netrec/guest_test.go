package netrec

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInstallCA(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n")
	bundle := GuestBundle[1:]

	// A copied root: read and written in place; the old bundle is kept.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, filepath.Dir(bundle)), 0o755)
	os.WriteFile(filepath.Join(root, bundle), []byte("OLD"), 0o644)
	if err := InstallCA(root, root, ca); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(root, bundle)); string(got) != "OLD\n"+string(ca) {
		t.Errorf("bundle %q", got)
	}

	// An overlay: read from the lower layer, written into the upper one.
	lower, upper := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(lower, filepath.Dir(bundle)), 0o755)
	os.WriteFile(filepath.Join(lower, bundle), []byte("LOWER\n"), 0o644)
	if err := InstallCA(lower, upper, ca); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(upper, bundle)); string(got) != "LOWER\n"+string(ca) {
		t.Errorf("upper bundle %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(lower, bundle)); string(got) != "LOWER\n" {
		t.Errorf("the lower layer changed: %q", got)
	}

	// A bundle that is a link out of the root is neither read nor written through.
	outside := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(outside, []byte("SECRET"), 0o600)
	evil := t.TempDir()
	os.MkdirAll(filepath.Join(evil, filepath.Dir(bundle)), 0o755)
	os.Symlink(outside, filepath.Join(evil, bundle))
	if err := InstallCA(evil, evil, ca); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(evil, bundle)); string(got) != string(ca) {
		t.Errorf("bundle through a link: %q", got)
	}
	if got, _ := os.ReadFile(outside); string(got) != "SECRET" {
		t.Errorf("wrote through the link: %q", got)
	}

	// No bundle at all: one holding the authority only.
	empty := t.TempDir()
	if err := InstallCA(empty, empty, ca); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(empty, bundle)); string(got) != string(ca) {
		t.Errorf("new bundle %q", got)
	}
}

func TestEnvNamesProxyAndBundle(t *testing.T) {
	env := Env("127.0.0.1:3128")
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"} {
		if env[k] != "http://127.0.0.1:3128" {
			t.Errorf("%s=%q", k, env[k])
		}
	}
	if env["NO_PROXY"] != "localhost,127.0.0.1,::1" || env["no_proxy"] != env["NO_PROXY"] {
		t.Errorf("NO_PROXY=%q no_proxy=%q", env["NO_PROXY"], env["no_proxy"])
	}
	for _, k := range []string{"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS", "CARGO_HTTP_CAINFO", "GIT_SSL_CAINFO", "CURL_CA_BUNDLE"} {
		if env[k] != GuestBundle {
			t.Errorf("%s=%q", k, env[k])
		}
	}
}
