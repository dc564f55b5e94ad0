package netrec

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestBlockedWhy(t *testing.T) {
	for _, tc := range []struct{ ip, want string }{
		{"169.254.169.254", "metadata"},
		{"fd00:ec2::254", "metadata"},
		{"100.100.100.200", "metadata"},
		{"::ffff:169.254.169.254", "metadata"},
		{"64:ff9b::a9fe:a9fe", "metadata"}, // NAT64 of 169.254.169.254
		{"169.254.1.1", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"127.0.0.2", ""},
		{"127.0.0.1", ""},
		{"10.1.2.3", ""},
		{"192.0.2.1", ""},
		{"100.100.100.201", ""},
		{"fd00:ec2::253", ""},
		{"2001:db8::1", ""},
	} {
		got := blockedWhy(netip.MustParseAddr(tc.ip))
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("blockedWhy(%s) = %q, want %q", tc.ip, got, tc.want)
		}
	}
}

// dialLog records the addresses a dial hook was asked to connect to.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) add(a string) { d.mu.Lock(); d.addrs = append(d.addrs, a); d.mu.Unlock() }
func (d *dialLog) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

// TestGuardOnTheHostNetwork drives the default dialer: its Control sees the
// address about to be connected to, and refuses the blocked ones first.
func TestGuardOnTheHostNetwork(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "reached") }))
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatalf("127.0.0.2 plays the internet: %v", err)
	}
	srv.Listener = l
	srv.Start()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	for _, tc := range []struct {
		url      string
		allow    []string
		status   int
		body     string
		connects bool
	}{
		{"http://169.254.169.254/latest/meta-data/", nil, 403, "169.254.169.254 is a cloud metadata address, which the build's network proxy does not reach by default; to allow it, name it in --network-allow: --network-allow=169.254.169.254 (which then limits", false},
		{"http://169.254.10.1:" + port + "/", nil, 403, "169.254.10.1 is a link-local address", false},
		{"http://100.100.100.200/", []string{"*.example.org"}, 403, "--network-allow=*.example.org,100.100.100.200\n", false},
		{"http://224.0.0.1:" + port + "/", nil, 403, "multicast", false},
		{"http://0.0.0.0:" + port + "/", nil, 403, "0.0.0.0 is an unspecified address", false},
		{"http://127.0.0.2:" + port + "/", nil, 200, "reached", true},
		// Named exactly, the unspecified address is connected to (Linux
		// sends it to 127.0.0.1, one reason it is refused by default); status
		// 0: any answer but a refusal.
		{"http://0.0.0.0:" + port + "/", []string{"0.0.0.0:" + port}, 0, "", true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			var dials dialLog
			allow, err := ParseAllow(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			p, c := startProxy(t, Config{Mode: Record, Allow: allow, onConnect: dials.add})
			status, body := get(t, c, tc.url)
			if status != tc.status && (tc.status != 0 || status == 403) || !strings.Contains(body, tc.body) {
				t.Errorf("%d %q, want %d %q", status, body, tc.status, tc.body)
			}
			if got := len(dials.list()) > 0; got != tc.connects {
				t.Errorf("connect attempts %v, want any: %v", dials.list(), tc.connects)
			}
			if rf := p.Refusals(); tc.status == 403 && (len(rf) != 1 || rf[0].Message+"\n" != strings.TrimPrefix(body, "pestle: ")) {
				t.Errorf("refusals %+v, want the message sent", rf)
			}
		})
	}
}

// TestGuardChecksResolvedAddresses resolves names through Upstream.Lookup:
// the address checked is the address dialled, whatever the name says.
func TestGuardChecksResolvedAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close") // every request dials again
		io.WriteString(w, "reached")
	}))
	defer srv.Close()
	var mu sync.Mutex
	rebinds := 0
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		mu.Lock()
		defer mu.Unlock()
		a := map[string][]string{
			"meta.test":  {"169.254.169.254"},
			"ok.test":    {"192.0.2.1"},
			"mixed.test": {"fd00:ec2::254", "192.0.2.1"},
			"v6.test":    {"fe80::1%eth0"},
		}[host]
		if host == "rebind.test" {
			rebinds++
			a = []string{"192.0.2.1", "169.254.169.254"}[min(rebinds, 2)-1:][:1]
		}
		if a == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, s := range a {
			out = append(out, netip.MustParseAddr(s))
		}
		return out, nil
	}
	for _, tc := range []struct {
		urls   []string
		allow  []string
		status []int
		body   string
		dials  []string
	}{
		{[]string{"http://meta.test/"}, nil, []int{403}, "host meta.test resolves to 169.254.169.254, a cloud metadata address", nil},
		{[]string{"http://v6.test/"}, nil, []int{403}, "host v6.test resolves to fe80::1%eth0, a link-local address", nil},
		{[]string{"http://ok.test/"}, nil, []int{200}, "reached", []string{"192.0.2.1:80"}},
		{[]string{"http://mixed.test/"}, nil, []int{200}, "reached", []string{"192.0.2.1:80"}},
		{[]string{"http://rebind.test/", "http://rebind.test/"}, nil, []int{200, 403}, "host rebind.test resolves to 169.254.169.254", []string{"192.0.2.1:80"}},
		{[]string{"http://meta.test/"}, []string{"*.test"}, []int{403}, "--network-allow=*.test,169.254.169.254\n", nil},
		{[]string{"http://meta.test/"}, []string{"*.test", "169.254.169.254:8080"}, []int{403}, "--network-allow=*.test,169.254.169.254:8080,169.254.169.254\n", nil},
		{[]string{"http://meta.test/"}, []string{"meta.test"}, []int{200}, "reached", []string{"169.254.169.254:80"}},
		{[]string{"http://meta.test/"}, []string{"*.test", "169.254.169.254"}, []int{200}, "reached", []string{"169.254.169.254:80"}},
		{[]string{"http://[fd00:ec2::254]/"}, []string{"[fd00:ec2::254]:80"}, []int{200}, "reached", []string{"[fd00:ec2::254]:80"}},
	} {
		t.Run(fmt.Sprint(tc.urls, tc.allow), func(t *testing.T) {
			mu.Lock()
			rebinds = 0
			mu.Unlock()
			var dials dialLog
			up := &Upstream{Lookup: lookup, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.add(addr)
				return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
			}}
			allow, err := ParseAllow(tc.allow)
			if err != nil {
				t.Fatal(err)
			}
			p, c := startProxy(t, Config{Mode: Record, Allow: allow, Upstream: up})
			var status int
			var body string
			for i, u := range tc.urls {
				if status, body = get(t, c, u); status != tc.status[i] {
					t.Errorf("%s: status %d (%q), want %d", u, status, body, tc.status[i])
				}
			}
			if !strings.Contains(body, tc.body) {
				t.Errorf("body %q, want it to contain %q", body, tc.body)
			}
			// A server that closes its connections gets a spare one
			// (client.warm): the same address again.
			if got := slices.Compact(dials.list()); !slices.Equal(got, tc.dials) {
				t.Errorf("dialled %v, want %v", got, tc.dials)
			}
			refused := 0
			for _, s := range tc.status {
				if s == 403 {
					refused++
				}
			}
			if n := len(p.Refusals()); n != refused {
				t.Errorf("%d refusals, want %d: %+v", n, refused, p.Refusals())
			}
		})
	}
}

func TestGuardRefusesTunnelsToBlockedLiterals(t *testing.T) {
	var dials dialLog
	up := &Upstream{Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.add(addr)
		return nil, &net.OpError{Op: "dial", Err: io.EOF}
	}}
	p, c := startProxy(t, Config{Mode: Record, Upstream: up})
	for _, u := range []string{"https://169.254.169.254/latest/", "http://[fe80::1]:8080/", "https://[fd00:ec2::254]/"} {
		if status, body := get(t, c, u); status == 200 {
			t.Errorf("%s: %d %q", u, status, body)
		}
	}
	if got := dials.list(); len(got) != 0 {
		t.Errorf("dialled %v", got)
	}
	rf := p.Refusals()
	if len(rf) != 3 || rf[0].Host != "169.254.169.254:443" || !strings.Contains(rf[0].Message, "--network-allow=169.254.169.254 ") ||
		rf[2].Host != "[fd00:ec2::254]:443" || !strings.Contains(rf[2].Message, "--network-allow=fd00:ec2::254 ") {
		t.Errorf("refusals %+v", rf)
	}
}
