package build

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

// TestPopulateLeavesPrivateKeysOut copies a source folder holding the
// signing key, a hard link to it, other private keys in PEM form and the
// public key: only the public key and the ordinary files reach the
// workspace, each key left out is named in a warning, .melangeignore still
// applies and a FIFO is not opened.
func TestPopulateLeavesPrivateKeysOut(t *testing.T) {
	src, ws := t.TempDir(), t.TempDir()
	signing, pem := keyFixture(t, src)
	var logs bytes.Buffer
	sec := newSecrets(signing, slog.New(slog.NewTextHandler(&logs, nil)))
	if _, err := populate(src, ws, sec); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(ws, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(ws, p)
			got = append(got, rel)
		}
		return nil
	})
	sort.Strings(got)
	want := []string{".melangeignore", "big.bin", "certs/ca.pem", "melange.rsa.pub", "melange.yaml", "notes.txt"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("workspace holds %v, want %v", got, want)
	}
	sort.Strings(sec.found)
	if want := "certs/server.pem copy-of-key deploy/id_ed25519 melange.rsa"; strings.Join(sec.found, " ") != want {
		t.Errorf("left out %v, want %s", sec.found, want)
	}
	for _, name := range []string{"file=melange.rsa why=\"it is the signing key\"", "file=copy-of-key", "file=deploy/id_ed25519 why=\"it holds a PEM private key\""} {
		if !strings.Contains(logs.String(), name) {
			t.Errorf("no warning with %s:\n%s", name, logs.String())
		}
	}
	checkKeyLevels(t, logs.String())
	if bytes.Contains(mustRead(t, filepath.Join(ws, "melange.rsa.pub")), pem[:40]) {
		t.Error("the public key file holds the private key")
	}
}

// TestHiddenLeavesPrivateKeysOut: the overlay workspace's walk, which
// searches files on every CPU, hides what the copy leaves out, and warns
// about each key in the order of their names.
func TestHiddenLeavesPrivateKeysOut(t *testing.T) {
	src := t.TempDir()
	signing, _ := keyFixture(t, src)
	var logs bytes.Buffer
	sec := newSecrets(signing, slog.New(slog.NewTextHandler(&logs, nil)))
	f, err := newSourceFilter(src, sec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.hidden()
	if err != nil {
		t.Fatal(err)
	}
	want := "certs/server.pem copy-of-key deploy/id_ed25519 melange.rsa skipped.txt"
	if strings.Join(got, " ") != want {
		t.Errorf("hidden %v, want %s", got, want)
	}
	if want := "certs/server.pem copy-of-key deploy/id_ed25519 melange.rsa"; strings.Join(sec.found, " ") != want {
		t.Errorf("recorded %v, want %s, in this order", sec.found, want)
	}
	var warned []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		_, rest, _ := strings.Cut(l, " file=")
		name, _, _ := strings.Cut(rest, " ")
		warned = append(warned, name)
	}
	if want := "certs/server.pem copy-of-key deploy/id_ed25519 melange.rsa"; strings.Join(warned, " ") != want {
		t.Errorf("warned about %v, want %s, in this order:\n%s", warned, want, logs.String())
	}
	checkKeyLevels(t, logs.String())
}

// checkKeyLevels: the signing key, where --signing-key names it, is only
// noted (melange keeps it in the project folder); a hard link to it and
// every other private key get a warning.
func checkKeyLevels(t *testing.T, logs string) {
	t.Helper()
	want := map[string]string{"melange.rsa": "INFO", "copy-of-key": "WARN", "deploy/id_ed25519": "WARN", "certs/server.pem": "WARN"}
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		_, rest, _ := strings.Cut(l, " file=")
		name, _, _ := strings.Cut(rest, " ")
		if level, ok := want[name]; ok {
			if !strings.Contains(l, "level="+level+" ") {
				t.Errorf("%s is logged at the wrong level, want %s: %s", name, level, l)
			}
			delete(want, name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not logged: %v\n%s", want, logs)
	}
}

// keyFixture fills src with a signing key, a hard link to it, other
// private keys in PEM form, files that only look like them, an ignored
// file and a FIFO; it returns the signing key's path and PEM text.
func keyFixture(t *testing.T, src string) (string, []byte) {
	t.Helper()
	k, err := keys.Generate(2048)
	if err != nil {
		t.Fatal(err)
	}
	signing := filepath.Join(src, "melange.rsa")
	if err := keys.WritePair(signing, k, false); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(signing)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("melange.yaml", "package: {}\n")
	write("deploy/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
	write("certs/server.pem", "# server\n-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n")
	write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n")
	write("notes.txt", "how to write -----BEGIN PRIVATE KEY----- in docs, inline\n")
	write("big.bin", strings.Repeat("x", pemSniff)+"\n-----BEGIN PRIVATE KEY-----\n")
	write("skipped.txt", "ignored\n")
	write(ignoreFile, "skipped.txt\n")
	if err := os.Link(signing, filepath.Join(src, "copy-of-key")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(src, "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	return signing, pem
}

// hasPrivateKeyLineRef is hasPrivateKeyLine as a plain loop over lines.
func hasPrivateKeyLineRef(data []byte) bool {
	for line := range bytes.Lines(data) {
		label, ok := bytes.CutPrefix(bytes.TrimRight(line, " \t\r\n"), []byte("-----BEGIN "))
		if ok && bytes.HasSuffix(label, []byte("PRIVATE KEY-----")) {
			return true
		}
	}
	return false
}

func TestHasPrivateKeyLine(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"-----BEGIN PRIVATE KEY-----\nMII\n", true},
		{"x\n-----BEGIN RSA PRIVATE KEY-----  \r\n", true},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", true},
		{"-----BEGIN EC PRIVATE KEY-----\t", true},
		{" -----BEGIN PRIVATE KEY-----\n", false},
		{"see -----BEGIN PRIVATE KEY-----\n", false},
		{"-----BEGIN CERTIFICATE-----\n-----BEGIN PUBLIC KEY-----\n", false},
		{"-----BEGIN PRIVATE KEY----- x\n", false},
		{"-----BEGIN -----BEGIN PRIVATE KEY-----\n", true},
		{"-----BEGIN \nPRIVATE KEY-----\n", false},
		{"", false},
	} {
		if got := hasPrivateKeyLine([]byte(tc.text)); got != tc.want {
			t.Errorf("%q: got %v, want %v", tc.text, got, tc.want)
		}
		if ref := hasPrivateKeyLineRef([]byte(tc.text)); ref != tc.want {
			t.Errorf("%q: the reference gives %v, want %v", tc.text, ref, tc.want)
		}
	}
}

// FuzzHasPrivateKeyLine holds the search to the line-by-line reading.
func FuzzHasPrivateKeyLine(f *testing.F) {
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n"))
	f.Add([]byte("a\n-----BEGIN RSA PRIVATE KEY----- \r\nb"))
	f.Add([]byte("-----BEGIN -----BEGIN PRIVATE KEY-----"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := hasPrivateKeyLine(data), hasPrivateKeyLineRef(data); got != want {
			t.Errorf("%q: got %v, want %v", data, got, want)
		}
	})
}

// TestBuildNeverSeesTheSigningKey keeps the signing key beside the recipe,
// as the README's layout does: a step that copies it into the package
// fails, and the build warns about the key.
func TestBuildNeverSeesTheSigningKey(t *testing.T) {
	tb := newTestBuild(t, busyboxRecipe("thief")+`pipeline:
  - runs: |
      ls -la
      mkdir -p ${{targets.destdir}}
      cp melange.rsa ${{targets.destdir}}/stolen
`)
	key := filepath.Join(tb.srcDir, "melange.rsa")
	if err := os.Rename(tb.opts.SigningKey, key); err != nil {
		t.Fatal(err)
	}
	tb.opts.SigningKey = key
	var logs fixture.SyncBuffer
	tb.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	_, err := tb.run(t)
	if err == nil {
		t.Fatalf("the step copied the signing key:\n%s", tb.out.String())
	}
	if !strings.Contains(err.Error(), "exit") {
		t.Errorf("want the step's failure, got %v", err)
	}
	if !strings.Contains(tb.out.String(), "can't stat 'melange.rsa'") {
		t.Errorf("the step saw something:\n%s", tb.out.String())
	}
	if !strings.Contains(logs.String(), "file=melange.rsa") {
		t.Errorf("no warning names the key:\n%s", logs.String())
	}
}
