package netrec

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A body a dead build left half written is removed when the store is next
// used, and a body already filed under its checksum is kept as it is.
func TestStoreCollectsDeadWritersAndKeepsFiledBodies(t *testing.T) {
	dir := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, ".body.tmp-"+strconv.Itoa(dead.ProcessState.Pid())+"-123")
	if err := os.WriteFile(left, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := store{dir: dir}
	for i := range 2 {
		sp := s.create()
		if _, err := sp.Write([]byte("body")); err != nil {
			t.Fatal(err)
		}
		if err := sp.commit(s); err != nil {
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if _, err := os.Lstat(left); !os.IsNotExist(err) {
		t.Errorf("the dead writer's body is still there (err %v)", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("store holds %v, want only the body filed under its checksum", names)
	}
	f, err := s.open(ents[0].Name(), 4)
	if err != nil {
		t.Fatalf("the filed body does not verify: %v", err)
	}
	f.Close()
}

// Bodies small enough to stay in memory and bodies that spill to a file
// while they arrive are filed alike, under their checksum, and verify.
func TestStoreFilesSmallAndLargeBodies(t *testing.T) {
	dir := t.TempDir()
	s := store{dir: dir}
	for _, size := range []int{0, 1, maxMemBody, maxMemBody + 1, 3*maxMemBody + 7} {
		body := make([]byte, size)
		for i := range body {
			body[i] = byte(i * 7 / 3)
		}
		sp := s.create()
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 50000)
			sp.Write(rest[:n])
			rest = rest[n:]
		}
		sum := sha256.Sum256(body)
		if got := sp.sum(); got != hex.EncodeToString(sum[:]) || sp.size != int64(size) {
			t.Fatalf("%d bytes: spool has sha256 %s and %d bytes", size, got, sp.size)
		}
		if err := sp.commit(s); err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		f, err := s.open(hex.EncodeToString(sum[:]), int64(size))
		if err != nil {
			t.Fatalf("%d bytes: %v", size, err)
		}
		f.Close()
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a temporary body was left: %s", e.Name())
		}
	}
	if len(ents) != 5 {
		t.Errorf("the store holds %d bodies, want 5", len(ents))
	}
}
