package apkocheck

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	apkoapk "chainguard.dev/apko/pkg/apk/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
)

// apkoBinary returns the apko command to run: $APKO, else apko on PATH.
// APKO=none skips the test.
func apkoBinary(t *testing.T) string {
	t.Helper()
	switch p := os.Getenv("APKO"); p {
	case "none":
		fixture.Optional(t, "apko", errors.New("APKO=none"))
	case "":
	default:
		return p
	}
	p, err := exec.LookPath("apko")
	fixture.Need(t, "an apko binary (run scripts/apkocheck, which builds one, set APKO=/path/to/apko, or APKO=none to skip)", err)
	return p
}

// layerFS is an image layer (a tar) seen as a treeFS.
type layerFS map[string]*layerEntry

type layerEntry struct {
	hdr  *tar.Header
	body []byte
}

func readLayer(t *testing.T, r io.Reader) layerFS {
	t.Helper()
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	out := layerFS{}
	tr := tar.NewReader(zr)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("layer: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.Trim(path.Clean(hdr.Name), "/")] = &layerEntry{hdr: hdr, body: body}
	}
}

func (l layerFS) get(name string) (*layerEntry, error) {
	if e, ok := l[name]; ok {
		return e, nil
	}
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (l layerFS) Lstat(name string) (fs.FileInfo, error) {
	e, err := l.get(name)
	if err != nil {
		return nil, err
	}
	return e.hdr.FileInfo(), nil
}

func (l layerFS) Readlink(name string) (string, error) {
	e, err := l.get(name)
	if err != nil {
		return "", err
	}
	if e.hdr.Typeflag != tar.TypeSymlink {
		return "", fmt.Errorf("%s is not a symlink", name)
	}
	return e.hdr.Linkname, nil
}

func (l layerFS) ReadFile(name string) ([]byte, error) {
	e, err := l.get(name)
	if err != nil {
		return nil, err
	}
	if e.hdr.Typeflag == tar.TypeLink {
		return l.ReadFile(strings.Trim(e.hdr.Linkname, "/"))
	}
	return e.body, nil
}

// TestApkoBuildsImage runs `apko build` (offline) on an image config that
// installs pestle-app from pestle's repository with pestle's key, then
// checks the image layer: every packed path with its mode, content and
// link, and the installed database apko put in it. Any warning apko prints
// fails the test.
func TestApkoBuildsImage(t *testing.T) {
	bin := apkoBinary(t)
	r := newRepo(t, RepoOptions{})
	work := t.TempDir()
	config := fmt.Sprintf(`contents:
  repositories:
    - %s
  keyring:
    - %s
  packages:
    - pestle-app
entrypoint:
  command: /usr/bin/app
archs:
  - %s
`, r.Dir, r.KeyPath, r.Arch)
	if err := os.WriteFile(filepath.Join(work, "apko.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "image.tar")
	cmd := exec.CommandContext(t.Context(), bin, "build", "--offline",
		"--cache-dir", filepath.Join(work, "cache"), "--sbom-path", work,
		"apko.yaml", "pestle-check:test", out)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+work)
	log, err := cmd.CombinedOutput()
	if testing.Verbose() {
		t.Logf("apko build:\n%s", log)
	}
	if err != nil {
		t.Fatalf("apko build failed: %v\n%s", err, log)
	}
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, " WARN ") || strings.Contains(line, " ERROR ") {
			t.Errorf("apko build: %s", line)
		}
	}

	layer := imageLayer(t, out)
	checkTree(t, "apko image", layer, r.Samples, dirPerm)
	db, err := layer.ReadFile("usr/lib/apk/db/installed")
	if err != nil {
		t.Fatalf("image has no installed database: %v", err)
	}
	parsed, err := apkoapk.ParseInstalled(bytes.NewReader(db))
	if err != nil {
		t.Fatal(err)
	}
	got := byName(parsed)
	raw := parseRawDB(t, "image installed db", db)
	for i, s := range r.Samples {
		p, ok := got[s.Info.Name]
		if !ok {
			t.Errorf("image installed db lacks %s", s.Info.Name)
			continue
		}
		comparePackage(t, "image installed db", &p.Package, r.Packages[i])
		diffEntries(t, "image installed db", s.Info.Name, raw.entries[s.Info.Name], sampleEntries(s))
	}
}

// imageLayer opens the single layer of the docker-style image tarball
// apko wrote.
func imageLayer(t *testing.T, image string) layerFS {
	t.Helper()
	f, err := os.Open(image)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", image, err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[hdr.Name] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatalf("%s: manifest.json: %v", image, err)
	}
	if len(manifest) != 1 || len(manifest[0].Layers) != 1 {
		t.Fatalf("%s: manifest %+v, want one image with one layer", image, manifest)
	}
	layer, ok := files[manifest[0].Layers[0]]
	if !ok {
		t.Fatalf("%s: layer %s missing", image, manifest[0].Layers[0])
	}
	return readLayer(t, bytes.NewReader(layer))
}
