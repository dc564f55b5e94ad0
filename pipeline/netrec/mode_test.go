package netrec

import (
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Record, "record": Record, "replay": Replay, "off": Off, "host": Host} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("on"); err == nil {
		t.Error("ParseMode(on) succeeded")
	}
}

func TestAllow(t *testing.T) {
	a, err := ParseAllow([]string{"proxy.golang.org", "*.Example.com", "files.test:8080", " "})
	if err != nil {
		t.Fatal(err)
	}
	for hostport, want := range map[string]bool{
		"proxy.golang.org:443": true, "PROXY.golang.org.:80": true, "sum.golang.org:443": false,
		"a.example.com:443": true, "a.b.example.com:80": true, "example.com:443": false, "badexample.com:443": false,
		"files.test:8080": true, "files.test:80": false,
	} {
		if got := a.Allows(hostport); got != want {
			t.Errorf("Allows(%s) = %v, want %v", hostport, got, want)
		}
	}
	// IP addresses match however they are written.
	ips, err := ParseAllow([]string{"2001:DB8::1", "[::1]:8080", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	for hostport, want := range map[string]bool{
		"[2001:db8:0:0:0:0:0:1]:443": true, "[2001:db8::2]:443": false, "[0:0::1]:8080": true, "[::1]:80": false,
		"[::ffff:192.0.2.7]:443": true, "192.0.2.7:80": true, "192.0.2.8:80": false,
	} {
		if got := ips.Allows(hostport); got != want {
			t.Errorf("Allows(%s) = %v, want %v", hostport, got, want)
		}
	}
	if !Allow(nil).Allows("anything:1") {
		t.Error("an empty list must allow every host")
	}
	for bad, want := range map[string]string{
		"https://x.org": "not a URL: write x.org", "http://x.org:8080/a": "not a URL: write x.org:8080",
		"x.org/path": "want a host name", "*.": "want a host name", "a*.b": "want a host name",
		"x:port": "from 1 to 65535", "x:0": "from 1 to 65535", "x:65536": "from 1 to 65535", "x:-1": "from 1 to 65535",
	} {
		if _, err := ParseAllow([]string{bad}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAllow(%q): %v, want an error saying %q", bad, err, want)
		}
	}
	// A port is a number, however it is written.
	if a, err := ParseAllow([]string{"files.test:0080"}); err != nil || !a.Allows("files.test:80") {
		t.Errorf("files.test:0080: %v, %v; want it to allow port 80", a, err)
	}
}
