package netrec

import (
	"crypto/tls"
	"crypto/x509"
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
