package build

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/apk/index"
	"github.com/pestle-dev/pestle/keys"
	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/pipeline/netrec"
)

var (
	goRepoOnce sync.Once
	goRepoDir  string
	goRepoErr  error
)

// goRepo is a repository holding a `go` package made from the host's
// toolchain as scripts/bootstrap-base makes it, trimmed to what `go mod
// download` needs (bin/go and the GOROOT markers), signed with the base
// key.
func goRepo(t *testing.T) string {
	t.Helper()
	baseRepo(t)
	goRepoOnce.Do(func() {
		goRepoDir, goRepoErr = os.MkdirTemp("", "pestle-gorepo-")
		if goRepoErr == nil {
			goRepoErr = makeGoRepo(goRepoDir)
		}
	})
	if goRepoErr != nil {
		t.Fatal(goRepoErr)
	}
	return goRepoDir
}

func makeGoRepo(dir string) error {
	tree, err := os.MkdirTemp("", "pestle-go-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	goroot := filepath.Join(tree, "usr/lib/go")
	for _, d := range []string{"bin", "pkg/tool", "src"} {
		if err := os.MkdirAll(filepath.Join(goroot, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"bin/go", "VERSION", "go.env"} {
		data, err := os.ReadFile(filepath.Join(runtime.GOROOT(), f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(goroot, f), data, 0o755); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(tree, "usr/bin"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink("../lib/go/bin/go", filepath.Join(tree, "usr/bin/go")); err != nil {
		return err
	}
	info := &apk.PackageInfo{Name: "go", Version: "1.0-r0", Arch: apk.HostArch(), Provides: []string{"cmd:go=1.0-r0"}, Description: "the host's go command"}
	arch := filepath.Join(dir, apk.HostArch())
	if err := apk.WriteFile(filepath.Join(arch, info.Filename()), tree, info, apk.WriteOptions{Signer: &keys.Signer{Key: baseKey, Name: "base.rsa.pub"}}); err != nil {
		return err
	}
	return index.Update(arch, []*apk.PackageInfo{info}, index.UpdateOptions{Signer: &keys.Signer{Key: baseKey, Name: "base.rsa.pub"}})
}

// fakeInternet plays the internet on 127.0.0.2, which NO_PROXY does not
// cover: a Go module proxy over HTTPS (goproxy.example.com) and a plain
// HTTP file server (files.example.com).
type fakeInternet struct {
	tls, plain *httptest.Server
	mu         sync.Mutex
	files      map[string][]byte
}

func newFakeInternet(t *testing.T) *fakeInternet {
	t.Helper()
	f := &fakeInternet{files: map[string][]byte{
		"/example.com/hello/@v/list":        []byte("v1.0.0\n"),
		"/example.com/hello/@v/v1.0.0.info": []byte(`{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}`),
		"/example.com/hello/@v/v1.0.0.mod":  []byte("module example.com/hello\n\ngo 1.21\n"),
		"/example.com/hello/@v/v1.0.0.zip":  moduleZip(),
		"/plain.txt":                        []byte("a plain file over plain HTTP\n"),
	}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		body, ok := f.files[r.URL.Path]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	})
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Fatalf("127.0.0.2 plays the internet: %v", err)
		}
		return l
	}
	f.tls = &httptest.Server{Listener: listen(), Config: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}}
	f.tls.StartTLS()
	f.plain = &httptest.Server{Listener: listen(), Config: &http.Server{Handler: h}}
	f.plain.Start()
	t.Cleanup(f.stop)
	return f
}

func (f *fakeInternet) stop() { f.tls.Close(); f.plain.Close() }

func (f *fakeInternet) set(path string, body []byte) {
	f.mu.Lock()
	f.files[path] = body
	f.mu.Unlock()
}

func (f *fakeInternet) sum(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := sha256.Sum256(f.files[path])
	return hex.EncodeToString(s[:])
}

func port(s *httptest.Server) string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

func (f *fakeInternet) goproxy() string { return "https://goproxy.example.com:" + port(f.tls) }
func (f *fakeInternet) fileURL() string {
	return "http://files.example.com:" + port(f.plain) + "/plain.txt"
}

// upstream sends every *.example.com name to 127.0.0.2 and trusts the
// HTTPS server's certificate (valid for *.example.com).
func (f *fakeInternet) upstream() *netrec.Upstream {
	pool := x509.NewCertPool()
	pool.AddCert(f.tls.Certificate())
	return &netrec.Upstream{RootCAs: pool, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil || !strings.HasSuffix(host, ".example.com") {
			return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
		}
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.2", p))
	}}
}

// moduleZip is example.com/hello v1.0.0 as a module proxy serves it.
func moduleZip() []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"example.com/hello@v1.0.0/go.mod":   "module example.com/hello\n\ngo 1.21\n",
		"example.com/hello@v1.0.0/hello.go": "package hello\n\nconst Greeting = \"hello\"\n",
	} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Unix(0, 0).UTC()})
		io.WriteString(w, body)
	}
	zw.Close()
	return buf.Bytes()
}

const netdemoRecipe = `
environment:
  contents:
    packages: [busybox, go]
  environment:
    GOTOOLCHAIN: local
    GOSUMDB: "off"
    GOFLAGS: "-modcacherw -mod=mod"
pipeline:
  - name: download
    runs: |
      printf 'module example.com/netdemo\n\ngo 1.21\n\nrequire example.com/hello v1.0.0\n' > go.mod
      GOPROXY=$GOPROXY_URL go mod download example.com/hello
      wget -q -O plain.txt "$FILE_URL"
      # A server of the step's own, on the loopback NO_PROXY names: busybox
      # wget ignores NO_PROXY, so the proxy passes it back inside.
      httpd -p 127.0.0.1:8081 -h "$PWD"
      wget -q -O local.txt http://127.0.0.1:8081/go.mod
      cmp local.txt go.mod
      mkdir -p ${{targets.destdir}}/usr/share/netdemo
      cp go.sum plain.txt ${{targets.destdir}}/usr/share/netdemo/
`

func TestBuildRecordsAndReplaysTheNetwork(t *testing.T) {
	goRepo := goRepo(t)
	inet := newFakeInternet(t)
	recipe := busyboxRecipe("netdemo")
	recipe = recipe[:strings.Index(recipe, "environment:")] + netdemoRecipe
	recipe = strings.Replace(recipe, "    GOTOOLCHAIN", "    GOPROXY_URL: "+inet.goproxy()+"\n    FILE_URL: "+inet.fileURL()+"\n    GOTOOLCHAIN", 1)
	tb := newTestBuild(t, recipe)
	tb.opts.Repositories = append(tb.opts.Repositories, goRepo)
	tb.opts.ApkCacheDir = t.TempDir() // its network cache is changed below
	tb.opts.NetworkUpstream = inet.upstream()
	zipURL := inet.goproxy() + "/example.com/hello/@v/v1.0.0.zip"

	// Record, the default.
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	t.Logf("record: %s", res.Network)
	if !strings.HasPrefix(res.Network, "network: ") || !strings.Contains(res.Network, "to 2 hosts") {
		t.Errorf("summary %q", res.Network)
	}
	pkg := res.Packages[0].Path
	recorded := mustRead(t, pkg)
	lockFile := filepath.Join(filepath.Dir(pkg), "netdemo-1.0.0-r0.network.json")
	lock, err := netrec.ReadLock(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{zipURL: inet.sum("/example.com/hello/@v/v1.0.0.zip"), inet.fileURL(): inet.sum("/plain.txt")}
	for u, sum := range want {
		found := false
		for _, e := range lock.Requests {
			found = found || (e.URL == u && e.SHA256 == sum && e.Status == 200)
		}
		if !found {
			t.Errorf("lock lacks %s with sha256 %s:\n%s", u, sum, mustRead(t, lockFile))
		}
	}
	spdx := sbomOf(t, pkg, "netdemo-1.0.0-r0")
	for u, sum := range want {
		if !strings.Contains(spdx, `"downloadLocation": "`+u+`"`) || !strings.Contains(spdx, `"checksumValue": "`+sum+`"`) {
			t.Errorf("SBOM lacks %s with sha256 %s", u, sum)
		}
	}

	// Off: the step fails and the error names the mode to use.
	tb.opts.Network = netrec.Off
	_, err = tb.run(t)
	t.Logf("--network=off: %v", err)
	if err == nil || !strings.Contains(err.Error(), "--network=record") {
		t.Errorf("--network=off: error %v, want one naming --network=record", err)
	}

	// A host outside the allow-list is refused, and named.
	tb.opts.Network, tb.opts.NetworkAllow = netrec.Record, []string{"files.example.com"}
	_, err = tb.run(t)
	t.Logf("allow-list: %v", err)
	if err == nil || !strings.Contains(err.Error(), "host goproxy.example.com is not allowed by --network-allow") {
		t.Errorf("allow-list: error %v, want one naming goproxy.example.com", err)
	}
	tb.opts.NetworkAllow = nil

	// Replay: a body that changed upstream (and is not cached) is refused
	// as a checksum mismatch.
	tb.opts.Network = netrec.Replay
	cached := filepath.Join(tb.opts.ApkCacheDir, "network", want[inet.fileURL()])
	good := mustRead(t, cached)
	os.Remove(cached)
	inet.set("/plain.txt", []byte("a changed file\n"))
	_, err = tb.run(t)
	t.Logf("changed body: %v", err)
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), inet.fileURL()) {
		t.Errorf("changed body: error %v, want a checksum mismatch naming %s", err, inet.fileURL())
	}
	if err := os.WriteFile(cached, good, 0o644); err != nil {
		t.Fatal(err)
	}

	// Replay with the internet gone: the same bytes.
	inet.stop()
	res, err = tb.run(t)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, tb.out.String())
	}
	if !bytes.Equal(mustRead(t, res.Packages[0].Path), recorded) {
		t.Errorf("the replayed package differs from the recorded one")
	}
	// A recipe that asks for more than the lock recorded is refused by URL.
	other := strings.Replace(mustReadString(t, tb.opts.Recipe), "/plain.txt", "/other.txt", 1)
	if err := os.WriteFile(tb.opts.Recipe, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = tb.run(t)
	t.Logf("unrecorded: %v", err)
	if err == nil || !strings.Contains(err.Error(), "/other.txt is not in the network lock") {
		t.Errorf("unrecorded URL: error %v", err)
	}
}

func mustReadString(t *testing.T, path string) string { return string(mustRead(t, path)) }

// sbomOf is the SPDX document inside a package (unpacked by tar, which
// reads the package's gzip members as one stream).
func sbomOf(t *testing.T, pkg, nameVersion string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xzif", pkg, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	return mustReadString(t, filepath.Join(dir, "var/lib/db/sbom", nameVersion+".spdx.json"))
}

func TestNetworkModeAndHints(t *testing.T) {
	no, yes := false, true
	for _, c := range []struct {
		flag       netrec.Mode
		networking *bool
		want       netrec.Mode
	}{
		{"", nil, netrec.Record},
		{netrec.Host, nil, netrec.Host},
		{netrec.Replay, &yes, netrec.Replay},
		{netrec.Host, &no, netrec.Off}, // the recipe says it needs none
		{"", &no, netrec.Off},
	} {
		plan := &pipeline.Plan{Capabilities: pipeline.Capabilities{Networking: c.networking}}
		got, err := networkMode(&EnvOptions{Network: c.flag}, plan)
		if err != nil || got != c.want {
			t.Errorf("--network=%q networking=%v: %q, %v; want %q", c.flag, c.networking, got, err, c.want)
		}
	}
	if _, err := networkMode(&EnvOptions{Network: "on"}, &pipeline.Plan{}); err == nil {
		t.Error("--network=on accepted")
	}
	for _, c := range []struct {
		mode    netrec.Mode
		refused []netrec.Refusal
		looks   bool
		want    string
	}{
		{netrec.Off, nil, true, "--network=record"},
		{netrec.Record, nil, true, "--network=host"},
		{netrec.Record, nil, false, ""},
		{netrec.Host, nil, true, ""},
		{netrec.Record, []netrec.Refusal{{Message: "A"}, {Message: "A"}, {Message: "B"}}, false, "the network proxy refused: A; B"},
	} {
		got := networkHint(c.mode, c.refused, c.looks)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("networkHint(%s, %v, %v) = %q, want %q", c.mode, c.refused, c.looks, got, c.want)
		}
	}
}

const nettestTest = `pipeline:
  - runs: mkdir -p ${{targets.destdir}}/usr/share && echo x > ${{targets.destdir}}/usr/share/x
test:
  environment:
    contents:
      packages: [busybox]
    environment:
      FILE_URL: %s
  pipeline:
    - name: fetches
      runs: |
        wget -q -O got.txt "$FILE_URL"
        grep -q "a plain file" got.txt
`

// TestTestRecordsAndReplaysTheNetwork: a test records its downloads in
// a lock of its own beside the package under test, and replays them from
// it with the internet gone.
func TestTestRecordsAndReplaysTheNetwork(t *testing.T) {
	inet := newFakeInternet(t)
	tb := newTestBuild(t, busyboxRecipe("nettest")+strings.Replace(nettestTest, "%s", inet.fileURL(), 1))
	tb.opts.ApkCacheDir = t.TempDir()
	tb.opts.NetworkUpstream = inet.upstream()
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("%v\n%s", err, tb.out.String())
	}
	dir := filepath.Dir(res.Packages[0].Path)
	if _, err := os.Stat(filepath.Join(dir, "nettest-1.0.0-r0.network.json")); err == nil {
		t.Errorf("a build that made no request wrote a lock")
	}
	topts := TestOptions{EnvOptions: tb.opts.EnvOptions}
	topts.Repositories = append(topts.Repositories, tb.opts.OutDir)
	topts.Keyring = append(topts.Keyring, tb.opts.SigningKey+".pub")
	test := func(mode netrec.Mode) error {
		t.Helper()
		topts.Network = mode
		rep, err := Test(t.Context(), topts)
		if err != nil {
			t.Fatalf("--network=%s: %v\n%s", mode, err, tb.out.String())
		}
		return rep.Results[0].Err
	}

	// Record, the default: the lock names the URL and its checksum.
	if err := test(netrec.Record); err != nil {
		t.Fatalf("record: %v\n%s", err, tb.out.String())
	}
	lockFile := filepath.Join(dir, "nettest-1.0.0-r0.test.network.json")
	lock, err := netrec.ReadLock(lockFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Requests) != 1 || lock.Requests[0].URL != inet.fileURL() || lock.Requests[0].SHA256 != inet.sum("/plain.txt") {
		t.Errorf("test lock:\n%s", mustRead(t, lockFile))
	}
	recorded := mustRead(t, lockFile)

	// Replay with the internet gone.
	inet.stop()
	if err := test(netrec.Replay); err != nil {
		t.Fatalf("replay: %v\n%s", err, tb.out.String())
	}

	// A test that asks for more than the lock recorded is refused by URL.
	other := strings.Replace(mustReadString(t, tb.opts.Recipe), "/plain.txt", "/other.txt", 1)
	if err := os.WriteFile(tb.opts.Recipe, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	err = test(netrec.Replay)
	t.Logf("unrecorded: %v", err)
	if err == nil || !strings.Contains(err.Error(), "/other.txt is not in the network lock") {
		t.Errorf("unrecorded URL: %v", err)
	}
	// A failed test in record mode leaves the lock as it was.
	if err := test(netrec.Record); err == nil {
		t.Fatal("record with the internet gone passed")
	}
	if !bytes.Equal(mustRead(t, lockFile), recorded) {
		t.Errorf("a failed test rewrote the lock:\n%s", mustRead(t, lockFile))
	}
}
