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
	// What apk-tools cannot parse as a version is refused, naming it.
	for _, v := range []string{"1.0.a", "1..2", "1.2_foo", "1.2.3~rc"} {
		_, err := (PackSpec{Name: "a", Version: v}).Info()
		if err == nil || !strings.Contains(err.Error(), v) || !strings.Contains(err.Error(), "apk-tools would refuse") {
			t.Errorf("version %q: %v, want it refused by name", v, err)
		}
	}
	for _, v := range []string{"1.2.3", "1.0_rc1", "2.12a", "20240101", "1.2.3_p4_git20240101"} {
		if _, err := (PackSpec{Name: "a", Version: v}).Info(); err != nil {
			t.Errorf("version %q: %v", v, err)
		}
	}
}
