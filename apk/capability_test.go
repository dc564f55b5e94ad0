package apk

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/keys"
)

func TestFileCapabilities(t *testing.T) {
	for _, tc := range []struct {
		add  map[string]string
		want string // hex of the xattr value
		err  string
	}{
		// magic 0x02000001 (revision 2, effective), permitted bit 10.
		{map[string]string{"cap_net_bind_service": "+ep"}, "01000002" + "00040000" + "00000000" + "00000000" + "00000000", ""},
		// net_raw (13) and net_admin (12), permitted and inheritable.
		{map[string]string{"cap_net_raw,cap_net_admin": "+eip"}, "01000002" + "00300000" + "00300000" + "00000000" + "00000000", ""},
		// Not effective: magic without bit 0. ipc_lock is 14.
		{map[string]string{"CAP_IPC_LOCK": "p"}, "00000002" + "00400000" + "00000000" + "00000000" + "00000000", ""},
		// A capability above 31 lands in the second pair (bpf is 39).
		{map[string]string{"bpf": "=ep", "sys_admin": "p"}, "01000002" + "00002000" + "00000000" + "80000000" + "00000000", ""},
		{map[string]string{"cap_fly": "+ep"}, "", `unknown capability "fly"`},
		{map[string]string{"cap_net_raw": "+x"}, "", "want letters of e"},
		{map[string]string{"cap_net_raw": ""}, "", "want letters of e"},
		{nil, "", "no capability"},
	} {
		got, err := FileCapabilities(tc.add)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: error %v, want %q", tc.add, err, tc.err)
			}
			continue
		}
		if err != nil || hex.EncodeToString(got) != tc.want {
			t.Errorf("%v = %x, %v; want %s", tc.add, got, err, tc.want)
		}
	}
}

// TestFileCapabilitiesMatchSetcap compares with what libcap's setcap(8)
// writes, where it can run (root, a filesystem with xattrs).
func TestFileCapabilitiesMatchSetcap(t *testing.T) {
	bin := fixture.NeedTool(t, "setcap")
	fixture.NeedRoot(t, "setcap(8) sets security.capability only as root")
	for text, add := range map[string]map[string]string{
		"cap_net_bind_service=+ep":      {"cap_net_bind_service": "+ep"},
		"cap_net_raw,cap_net_admin+eip": {"cap_net_raw,cap_net_admin": "+eip"},
		"cap_bpf,cap_sys_admin=p":       {"cap_bpf,cap_sys_admin": "p"},
	} {
		f := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(f, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, text, f).CombinedOutput(); err != nil {
			t.Fatalf("setcap %s: %v: %s", text, err, out)
		}
		buf := make([]byte, 64)
		n, err := unix.Getxattr(f, XattrCapability, buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := FileCapabilities(add)
		if err != nil || !bytes.Equal(got, buf[:n]) {
			t.Errorf("%s: setcap wrote %x, FileCapabilities gives %x (%v)", text, buf[:n], got, err)
		}
	}
}

// TestWriteSetcapGolden packs a tree with a capability given through
// WriteOptions.Xattrs: the data member carries it as the PAX record
// SCHILY.xattr.security.capability, and the reader hands it back.
func TestWriteSetcapGolden(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "usr/bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "usr/bin/ping"), []byte("pretend ping\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"usr", "usr/bin"} {
		os.Chmod(filepath.Join(dir, d), 0o755)
	}
	capv, err := FileCapabilities(map[string]string{"cap_net_raw": "+ep"})
	if err != nil {
		t.Fatal(err)
	}
	info := &PackageInfo{Name: "ping", Version: "1.0-r0", Arch: "x86_64", Origin: "ping", Description: "pings"}
	opts := WriteOptions{Signer: &keys.Signer{Key: goldenKey(t), Name: "test.rsa.pub"}, SourceDateEpoch: goldenEpoch,
		Xattrs: map[string]map[string]string{"usr/bin/ping": {XattrCapability: string(capv)}}}
	var buf bytes.Buffer
	if err := Write(&buf, dir, info, opts); err != nil {
		t.Fatal(err)
	}
	ms := members(t, buf.Bytes())
	listed := strings.ReplaceAll(listing(t, ms[2]), string(capv), "hex:"+hex.EncodeToString(capv))
	fixture.Golden(t, filepath.Join("testdata", "golden", "setcap.data.txt"), []byte(listed), *update)
	sum := sha256.Sum256(buf.Bytes())
	fixture.Golden(t, filepath.Join("testdata", "golden", "setcap.apk.sha256"), []byte(hex.EncodeToString(sum[:])+"\n"), *update)
	if !strings.Contains(listed, "SCHILY.xattr.security.capability=") {
		t.Fatalf("no capability record in:\n%s", listed)
	}
	var seen string
	_, err = Read(bytes.NewReader(buf.Bytes()), ReadOptions{Keyring: goldenKeyring(t), OnEntry: func(e Entry) error {
		if e.Name == "usr/bin/ping" {
			seen = e.Xattrs[XattrCapability]
		}
		return nil
	}})
	if err != nil || seen != string(capv) {
		t.Fatalf("read back %x, %v; want %x", seen, err, capv)
	}

	opts.Xattrs = map[string]map[string]string{"usr/bin/pong": {XattrCapability: string(capv)}}
	err = Write(&bytes.Buffer{}, dir, info, opts)
	if err == nil || !strings.Contains(err.Error(), "not a file or directory of the package") {
		t.Fatalf("a capability for a missing file: %v", err)
	}
}

// TestExtractRestoresCapability installs (extracts) a package carrying a
// file capability: as root the file gets security.capability back.
func TestExtractRestoresCapability(t *testing.T) {
	fixture.NeedRoot(t, "only root may set security.capability")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "ping"), []byte("pretend ping\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	capv, err := FileCapabilities(map[string]string{"cap_net_raw": "+ep"})
	if err != nil {
		t.Fatal(err)
	}
	info := &PackageInfo{Name: "ping", Version: "1.0-r0", Arch: "x86_64"}
	var buf bytes.Buffer
	err = Write(&buf, src, info, WriteOptions{Signer: &keys.Signer{Key: goldenKey(t), Name: "test.rsa.pub"},
		Xattrs: map[string]map[string]string{"ping": {XattrCapability: string(capv)}}})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if _, err := Read(bytes.NewReader(buf.Bytes()), ReadOptions{Keyring: goldenKeyring(t), ExtractTo: root}); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(root, "ping"), XattrCapability, got)
	if err != nil || !bytes.Equal(got[:n], capv) {
		t.Fatalf("installed ping has security.capability %x (%v), want %x", got[:max(n, 0)], err, capv)
	}
}

// TestApkToolsRestoresCapability: apk-tools, installing a package written
// here as root, gives the file its security.capability back. Skips where
// apk-tools is missing (Debian 12 does not package it).
func TestApkToolsRestoresCapability(t *testing.T) {
	apkBin, err := exec.LookPath("apk")
	fixture.Optional(t, "apk-tools, the reference client (Debian 12 does not package it)", err)
	fixture.NeedRoot(t, "only root may set security.capability")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "ping"), []byte("pretend ping\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	capv, err := FileCapabilities(map[string]string{"cap_net_raw": "+ep"})
	if err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(t.TempDir(), "ping-1.0-r0.apk")
	info := &PackageInfo{Name: "ping", Version: "1.0-r0", Arch: HostArch()}
	err = WriteFile(pkg, src, info, WriteOptions{Signer: &keys.Signer{Key: goldenKey(t), Name: "test.rsa.pub"},
		Xattrs: map[string]map[string]string{"ping": {XattrCapability: string(capv)}}})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	out, err := exec.Command(apkBin, "add", "--root", root, "--initdb", "--no-network", "--no-scripts", "--allow-untrusted", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("apk add: %v\n%s", err, out)
	}
	got := make([]byte, 64)
	n, err := unix.Getxattr(filepath.Join(root, "ping"), XattrCapability, got)
	if err != nil || !bytes.Equal(got[:n], capv) {
		t.Fatalf("apk-tools installed ping with security.capability %x (%v), want %x", got[:max(n, 0)], err, capv)
	}
}
