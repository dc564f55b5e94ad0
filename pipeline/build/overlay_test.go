package build

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pestle-dev/pestle/internal/fixture"
	"github.com/pestle-dev/pestle/sandbox"
)

// Inside a container the scratch dir often lives on overlayfs, which
// cannot be the upper layer of another overlay: the build falls back to a
// private copy of the guest root.
func TestBuildWhenScratchCannotHoldAnOverlay(t *testing.T) {
	tb := newTestBuild(t, helloRecipe)
	if !sandbox.CanOverlay() {
		fixture.Need(t, "overlay guest roots", errors.New("sandbox.CanOverlay is false: overlayfs needs root"))
	}
	base := t.TempDir()
	lower, upper, work, merged := filepath.Join(base, "l"), filepath.Join(base, "u"), filepath.Join(base, "w"), filepath.Join(base, "m")
	for _, d := range []string{lower, upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fixture.Need(t, "an overlay mount to play the container's file system",
		unix.Mount("overlay", merged, "overlay", 0, "lowerdir="+lower+",upperdir="+upper+",workdir="+work))
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
	t.Setenv("TMPDIR", merged)
	res, err := tb.run(t)
	if err != nil {
		t.Fatalf("build with the scratch dir on overlayfs: %v", err)
	}
	if len(res.Packages) != 3 {
		t.Fatalf("wrote %d packages", len(res.Packages))
	}
	ents, _ := os.ReadDir(merged)
	if len(ents) != 0 {
		t.Errorf("the build left %d entries in its scratch dir", len(ents))
	}
}
