package netrec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
		sp, err := s.create()
		if err != nil {
			t.Fatal(err)
		}
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
