package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pestle-dev/pestle/apk"
	"github.com/pestle-dev/pestle/pipeline/build"
)

// TestReportSaysUnsigned: the summary of a build without a signing key
// says that its package and index are unsigned; a signed one says nothing
// of it.
func TestReportSaysUnsigned(t *testing.T) {
	for _, tt := range []struct {
		unsigned bool
		want     string
	}{
		{false, "wrote out/x86_64/a-1-r0.apk (2.0 KiB)\nupdated out/x86_64/APKINDEX.tar.gz\nbuilt 1 package(s) for x86_64 in 5ms\n"},
		{true, "wrote out/x86_64/a-1-r0.apk (2.0 KiB, unsigned: no --signing-key)\nupdated out/x86_64/APKINDEX.tar.gz (unsigned)\nbuilt 1 package(s) for x86_64 in 5ms\n"},
	} {
		var out bytes.Buffer
		cmd := &cobra.Command{}
		cmd.SetOut(&out)
		report(cmd, &build.Result{
			Arch:     "x86_64",
			Packages: []build.Written{{Info: &apk.PackageInfo{FileSize: 2048}, Path: "out/x86_64/a-1-r0.apk"}},
			Index:    "out/x86_64/APKINDEX.tar.gz", Unsigned: tt.unsigned, Duration: 5 * time.Millisecond,
		})
		if out.String() != tt.want {
			t.Errorf("unsigned=%v: printed\n%s\nwant\n%s", tt.unsigned, out.String(), tt.want)
		}
	}
}
