package netrec

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync"
	"testing"
)

func tlsConfig(pool *x509.CertPool) *tls.Config { return &tls.Config{RootCAs: pool} }

// proxyAddrs is where startProxy's proxies listen.
var proxyAddrs sync.Map

func (p *Proxy) outerAddr(t testing.TB) string {
	a, ok := proxyAddrs.Load(p)
	if !ok {
		t.Fatal("proxy not started by startProxy")
	}
	return a.(string)
}

// acceptEach serves each connection of l in its own goroutine until l
// closes.
func acceptEach(l net.Listener, serve func(net.Conn)) {
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
}
