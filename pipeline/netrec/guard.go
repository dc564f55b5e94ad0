package netrec

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// metadataAddrs are the well-known cloud instance metadata endpoints.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack…
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses reach
// the IPv4 address in their last four bytes.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// blockedWhy says why the proxy does not reach ip by default, or "" when
// it does: link-local unicast (where cloud metadata endpoints live), the
// well-known metadata addresses, multicast and unspecified addresses.
func blockedWhy(ip netip.Addr) string {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case metadataAddrs[ip.WithZone("")]:
		return "a cloud metadata address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address (where cloud metadata endpoints live)"
	case ip.IsMulticast():
		return "a multicast address"
	case ip.IsUnspecified():
		return "an unspecified address"
	}
	return ""
}

// blockedError is a connection the guard refused before it was made.
type blockedError struct {
	host string // the host asked for
	ip   netip.Addr
	why  string
}

func (e *blockedError) Error() string {
	if e.host == e.ip.String() {
		return fmt.Sprintf("%s is %s", e.ip, e.why)
	}
	return fmt.Sprintf("host %s resolves to %s, %s", e.host, e.ip, e.why)
}

// guard refuses connections to the addresses blockedWhy names unless the
// allow-list names the host or the address exactly. It checks the address
// actually dialled (after resolution), so a name that resolves to an
// innocent address once and to a metadata endpoint later gains nothing.
type guard struct {
	allow Allow
	// lookup and connect are Upstream.Lookup and Upstream.Dial. With
	// neither, a net.Dialer resolves and its Control checks each address
	// before connecting; with connect only, connect resolves and only IP
	// literals are checked; with lookup, connect gets checked addresses.
	lookup  func(ctx context.Context, host string) ([]netip.Addr, error)
	connect func(ctx context.Context, network, addr string) (net.Conn, error)
	// onConnect, for tests, sees each address the default dialer is about
	// to connect to.
	onConnect func(address string)
}

// check refuses ip for host unless it may be reached.
func (g *guard) check(host, port string, ip netip.Addr) error {
	why := blockedWhy(ip)
	if why == "" || g.allow.names(host, port) || g.allow.names(ip.Unmap().WithZone("").String(), port) {
		return nil
	}
	return &blockedError{host: host, ip: ip, why: why}
}

// dial connects to hostport ("host:port" as the transport asks) through
// the guard.
func (g *guard) dial(ctx context.Context, network, hostport string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, err
	}
	if g.lookup == nil && g.connect != nil { // connect resolves: check literals
		if ip, err := netip.ParseAddr(host); err == nil {
			if err := g.check(host, port, ip); err != nil {
				return nil, err
			}
		}
		return g.connect(ctx, network, hostport)
	}
	if g.lookup == nil {
		return g.dialHost(ctx, network, host, port)
	}
	ips := []netip.Addr{}
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = append(ips, ip)
	} else if ips, err = g.lookup(ctx, host); err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		if err := g.check(host, port, ip); err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := g.connect(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return nil, errors.Join(errs...)
}

// dialHost resolves and connects through the host's network; the
// dialer's Control checks each address it is about to connect to.
func (g *guard) dialHost(ctx context.Context, network, host, port string) (net.Conn, error) {
	d := net.Dialer{Timeout: 30 * time.Second, KeepAlive: -1, // kept connections idle for seconds: no probes
		Control: func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("netrec: cannot check the address %q before connecting", address)
			}
			if err := g.check(host, port, ap.Addr()); err != nil {
				return err
			}
			if g.onConnect != nil {
				g.onConnect(address)
			}
			return nil
		}}
	return d.DialContext(ctx, network, net.JoinHostPort(host, port))
}

// names reports whether an entry of a that is not a wildcard names host
// (a name or an IP address), and port when the entry has one.
func (a Allow) names(host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range a {
		ph, pp := p, ""
		if h, hp, err := net.SplitHostPort(p); err == nil {
			ph, pp = h, hp
		}
		if pp != "" && pp != port {
			continue
		}
		if sameHost(host, ph) {
			return true
		}
	}
	return false
}

// blockedMessage is what a step is told when the guard refused host.
func (p *Proxy) blockedMessage(be *blockedError) string {
	name := be.ip.Unmap().WithZone("").String()
	msg := be.Error() + ", which the build's network proxy does not reach by default; to allow it, name it in --network-allow: "
	if len(p.cfg.Allow) == 0 {
		return msg + "--network-allow=" + name + " (which then limits the proxy to the hosts listed)"
	}
	return msg + "--network-allow=" + strings.Join(p.cfg.Allow, ",") + "," + name
}

// refuseUpstream answers a request whose upstream failed with err: 403
// naming the address and the flag when the guard refused it, else 502
// with rf's message.
func (p *Proxy) refuseUpstream(w http.ResponseWriter, err error, rf Refusal) {
	var be *blockedError
	if errors.As(err, &be) {
		rf.Message = p.blockedMessage(be)
		p.refuse(w, http.StatusForbidden, rf)
		return
	}
	p.refuse(w, http.StatusBadGateway, rf)
}
