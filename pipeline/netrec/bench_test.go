package netrec

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
)

// closingServer answers every request on 127.0.0.2 with body and closes
// the connection, as busybox httpd does.
func closingServer(b *testing.B, body []byte) string {
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		b.Skip("no 127.0.0.2:", err)
	}
	b.Cleanup(func() { l.Close() })
	head := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n")
	acceptEach(l, func(c net.Conn) {
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(bytes.TrimSpace(line)) == 0 {
				break
			}
		}
		c.Write(head)
		c.Write(body)
	})
	return l.Addr().String()
}

// fetchOnce is a one-request client that closes, as busybox wget is.
func fetchOnce(dial, target, host string) (int64, error) {
	c, err := net.Dial("tcp", dial)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench\r\nConnection: close\r\n\r\n", target, host)
	return io.Copy(io.Discard, c)
}

// BenchmarkExchange is one short-lived client connection per request,
// to a server that closes each connection: directly, and through the
// recording proxy (whose cache already holds the body).
func BenchmarkExchange(b *testing.B) {
	for _, size := range []int{2, 256 << 10} {
		body := bytes.Repeat([]byte("x"), size)
		srv := closingServer(b, body)
		b.Run(fmt.Sprintf("direct/%d", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := fetchOnce(srv, "/f", srv); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("proxy/%d", size), func(b *testing.B) {
			p, _ := startProxy(b, Config{Mode: Record, CacheDir: b.TempDir()})
			addr := p.outerAddr(b)
			b.SetBytes(int64(size))
			for b.Loop() {
				n, err := fetchOnce(addr, "http://"+srv+"/f", srv)
				if err != nil || n < int64(size) {
					b.Fatal(n, err)
				}
			}
		})
	}
}
