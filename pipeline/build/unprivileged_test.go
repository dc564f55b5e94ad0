package build

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

const asUserEnv = "PESTLE_BUILD_TEST_AS_USER"

// TestBuildAsUnprivilegedUser builds a recipe as an ordinary user: no
// overlay (the guest root is copied), steps as uid 1000 in a user
// namespace. Run as root, the test binary re-runs itself as nobody.
func TestBuildAsUnprivilegedUser(t *testing.T) {
	if dir := os.Getenv(asUserEnv); dir != "" {
		unprivilegedBuild(dir)
		return
	}
	repoDir, pub := baseRepo(t)
	fixture.NeedRoot(t, "to re-run the test binary as an unprivileged user; an unprivileged run is covered by the other tests already")
	// Everything the child needs, readable and writable by nobody.
	dir, err := os.MkdirTemp("", "pestle-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := copyTree(repoDir, filepath.Join(dir, "repo"), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "base.rsa.pub"), mustRead(t, pub), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "melange.yaml"), []byte(testedRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	// The test binary lives in a private build dir: give nobody a copy.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "build.test")
	if err := os.WriteFile(bin, mustRead(t, self), 0o755); err != nil {
		t.Fatal(err)
	}
	filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			os.Chown(p, 65534, 65534)
		}
		return err
	})
	c := exec.Command(bin, "-test.run=^TestBuildAsUnprivilegedUser$", "-test.count=1")
	c.Env = append(os.Environ(), asUserEnv+"="+dir, "HOME="+dir, "TMPDIR="+dir)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("build as nobody: %v\n%s", err, out)
	}
	for _, want := range []string{"uid=65534", "build ok: greeter-1.0.0-r0.apk", "test ok: 1 passed", "fetch ok: network: 1 request to 1 host, 18 B"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// unprivilegedBuild runs inside the child: a build and a test of the
// package, reported on stdout for the parent to check.
func unprivilegedBuild(dir string) {
	fail := func(format string, args ...any) {
		fmt.Printf(format+"\n", args...)
		os.Exit(1)
	}
	fmt.Printf("uid=%d\n", os.Geteuid())
	key := filepath.Join(dir, "test.rsa")
	k, err := keys.Generate(2048)
	if err != nil {
		fail("%v", err)
	}
	if err := keys.WritePair(key, k, false); err != nil {
		fail("%v", err)
	}
	var out fixture.SyncBuffer
	sde := int64(0)
	opts := Options{
		EnvOptions: EnvOptions{
			Recipe: filepath.Join(dir, "melange.yaml"), Repositories: []string{filepath.Join(dir, "repo")},
			Keyring: []string{filepath.Join(dir, "base.rsa.pub")}, ApkCacheDir: filepath.Join(dir, "cache"),
			CacheDir: filepath.Join(dir, "melange-cache"), SourceDateEpoch: &sde,
			Stdout: &out, Stderr: &out,
		},
		OutDir: filepath.Join(dir, "packages"), SigningKey: key,
	}
	res, err := Build(context.Background(), opts)
	if err != nil {
		fail("build: %v\n%s", err, out.String())
	}
	if _, err := apk.ReadFile(res.Packages[0].Path, apk.ReadOptions{}); err != nil {
		fail("package: %v", err)
	}
	fmt.Printf("build ok: %s\n", filepath.Base(res.Packages[0].Path))
	topts := TestOptions{EnvOptions: opts.EnvOptions, Package: "greeter"}
	topts.Repositories = append(topts.Repositories, opts.OutDir)
	topts.Keyring = append(topts.Keyring, key+".pub")
	rep, err := Test(context.Background(), topts)
	if err != nil || rep.Failed() != 0 {
		fail("test: %v %+v\n%s", err, rep, out.String())
	}
	fmt.Printf("test ok: %d passed\n", len(rep.Results))

	// A download through the recording proxy, in the user namespace's
	// network namespace: from a server of this process on 127.0.0.2.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		fail("listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "fetched as nobody\n")
	})}
	go srv.Serve(l)
	defer srv.Close()
	recipe := busyboxRecipe("fetcher") + "pipeline:\n  - runs: |\n" +
		"      mkdir -p ${{targets.destdir}}/usr/share\n" +
		"      wget -q -O ${{targets.destdir}}/usr/share/fetched http://" + l.Addr().String() + "/fetched\n"
	opts.Recipe = filepath.Join(dir, "fetcher.yaml")
	if err := os.WriteFile(opts.Recipe, []byte(recipe), 0o644); err != nil {
		fail("%v", err)
	}
	res, err = Build(context.Background(), opts)
	if err != nil {
		fail("fetch build: %v\n%s", err, out.String())
	}
	fmt.Printf("fetch ok: %s\n", res.Network)
}
