package build

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pestle-dev/pestle/apk"
)

// TestBuildRefusesWhatAStepPlanted replaces the files the host reads after
// the steps (the guest's /etc/passwd and /etc/group, an output tree) with
// things that would make a trusting reader allocate without bound, block,
// or read host files. Each build fails, promptly, naming the file.
func TestBuildRefusesWhatAStepPlanted(t *testing.T) {
	for _, c := range []struct{ name, script, want string }{
		{"passwd symlink to /dev/zero", "ln -sf /dev/zero /etc/passwd", "guest /etc/passwd: is a symlink"},
		{"passwd FIFO", "rm /etc/passwd\nmkfifo /etc/passwd", "guest /etc/passwd: is a named pipe (FIFO)"},
		{"group symlink to a host file", "ln -sf /etc/hostname /etc/group", "guest /etc/group: is a symlink"},
		{"etc symlink to the host root", "rm -rf /etc\nln -s / /etc", "guest /etc/passwd"},
		{"huge passwd", "head -c 5000000 /dev/zero | tr '\\0' a > /etc/passwd", "guest /etc/passwd: is larger than the limit of 4194304 bytes"},
		{"output tree symlink", "rm -rf ${{targets.destdir}}\nln -s /etc ${{targets.destdir}}", "melange-out/planted is a symlink"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tb := newTestBuild(t, `package:
  name: planted
  version: 1.0.0
  epoch: 0
environment:
  contents:
    packages: [busybox]
pipeline:
  - runs: |
      mkdir -p ${{targets.destdir}}/usr/share/planted
      echo hi > ${{targets.destdir}}/usr/share/planted/hi
`+indent(c.script, "      ")+"\n")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := Build(ctx, tb.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q\n%s", err, c.want, tb.out.String())
			}
			if ctx.Err() != nil {
				t.Fatal("the build blocked")
			}
			entries, _ := os.ReadDir(filepath.Join(tb.opts.OutDir, apk.HostArch()))
			for _, e := range entries {
				t.Errorf("the refused build left %s in the output", e.Name())
			}
		})
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
