package apk

import (
	"reflect"
	"strings"
	"testing"
)

func TestPackSpecInfo(t *testing.T) {
	got, err := PackSpec{Name: "hello", Version: "2.12.1", Epoch: 2, Arch: "arm64", License: "GPL-3.0",
		Depends: []string{"so:libc.so.6"}, ProviderPriority: 10}.Info()
	if err != nil {
		t.Fatal(err)
	}
	want := &PackageInfo{Name: "hello", Version: "2.12.1-r2", Arch: "aarch64", License: "GPL-3.0", Origin: "hello",
		Depends: []string{"so:libc.so.6"}, ProviderPriority: 10}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Info = %+v\nwant %+v", got, want)
	}
	if got, _ := (PackSpec{Name: "a", Version: "1", Origin: "b"}).Info(); got.Origin != "b" || got.Arch != HostArch() {
		t.Errorf("origin %q, arch %q", got.Origin, got.Arch)
	}
	for _, bad := range []PackSpec{{Name: "a", Version: "1-r0"}, {Name: "a", Version: "1", Arch: "sparc"}} {
		if _, err := bad.Info(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if _, err := (PackSpec{Name: "a", Version: "1-r0"}).Info(); !strings.Contains(err.Error(), "without -rN") {
		t.Errorf("error %q does not say how to fix it", err)
	}
}
