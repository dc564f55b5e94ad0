package netrec

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Mode is how build steps reach the network.
type Mode string

// The modes.
const (
	// Record: only through the proxy, every download recorded.
	Record Mode = "record"
	// Replay: only through the proxy, which serves what a lock recorded.
	Replay Mode = "replay"
	// Off: no network (a loopback only).
	Off Mode = "off"
	// Host: the host's network, nothing recorded (melange's behaviour).
	Host Mode = "host"
)

// Modes lists the modes, default first.
var Modes = []Mode{Record, Replay, Off, Host}

// ParseMode reads a mode name; "" is Record.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Record, nil
	}
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown network mode %q: want record (the default), replay, off or host", s)
}

// Allow is a list of host patterns: "example.com" is that host, and
// "*.example.com" any host under it (not example.com itself). A pattern
// may end in ":port" to allow that port only. An empty Allow allows every
// host.
type Allow []string

// ParseAllow checks patterns and returns them lower-cased.
func ParseAllow(patterns []string) (Allow, error) {
	var out Allow
	for _, p := range patterns {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		if u, err := url.Parse(p); err == nil && u.Scheme != "" && u.Host != "" {
			return nil, fmt.Errorf("--network-allow %q: want a host name, not a URL: write %s", p, u.Host)
		}
		host := p
		if h, port, err := net.SplitHostPort(p); err == nil {
			n, err := strconv.Atoi(port)
			if err != nil || strings.Trim(port, "0123456789") != "" || n < 1 || n > 65535 {
				return nil, fmt.Errorf("--network-allow %q: the port must be a number from 1 to 65535", p)
			}
			host = h
			p = net.JoinHostPort(h, strconv.Itoa(n)) // 0080 matches port 80
		}
		name := strings.TrimPrefix(host, "*.")
		if name == "" || strings.ContainsAny(name, "/*@ ?#") {
			return nil, fmt.Errorf("--network-allow %q: want a host name such as example.com or *.example.com, optionally with :port", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// Allows reports whether hostport (host:port) may be reached.
func (a Allow) Allows(hostport string) bool {
	if len(a) == 0 {
		return true
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = hostport, ""
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range a {
		ph, pp := p, ""
		if h, hp, err := net.SplitHostPort(p); err == nil {
			ph, pp = h, hp
		}
		if pp != "" && pp != port {
			continue
		}
		if suffix, ok := strings.CutPrefix(ph, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if sameHost(host, ph) {
			return true
		}
	}
	return false
}

// sameHost reports whether host and pattern name the same host: the same
// name, or the same IP address however written (IPv6 has many spellings,
// and an IPv4-mapped IPv6 address is its IPv4 address).
func sameHost(host, pattern string) bool {
	if host == pattern {
		return true
	}
	hip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	pip, err := netip.ParseAddr(strings.Trim(pattern, "[]"))
	return err == nil && hip.Unmap().WithZone("") == pip.Unmap().WithZone("")
}
