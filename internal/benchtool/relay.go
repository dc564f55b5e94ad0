package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// mainRelay runs a bare forwarding hop for plain-HTTP proxy requests,
// the floor of the network benchmark: what any proxy between a step and
// a server costs (a connection each side, a process to wake, the bytes
// copied through it), without parsing headers, recording or hashing.
// With a command after the flags, it serves while the command runs and
// exits with its status, so that timing the relay times both.
func mainRelay(args []string) {
	fs := flag.NewFlagSet("relay", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	fs.Parse(args)
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool relay:", err)
		os.Exit(1)
	}
	go relay(l)
	if fs.NArg() == 0 {
		fmt.Println(l.Addr())
		stop := make(chan os.Signal, 1)
		signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
		<-stop
		l.Close()
		return
	}
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	l.Close()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		os.Exit(max(ee.ExitCode(), 1))
	case err != nil:
		fmt.Fprintln(os.Stderr, "benchtool relay:", err)
		os.Exit(1)
	}
}

// relay serves l's connections until l closes.
func relay(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go relayConn(c)
	}
}

// relayConn forwards one client connection: its first request line,
// made origin-form, then everything else both ways, as bytes.
func relayConn(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil {
		return
	}
	line, hostport, err := originForm(line)
	if err != nil {
		fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(err.Error()), err)
		return
	}
	up, err := net.Dial("tcp", hostport)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	if _, err := io.WriteString(up, line); err != nil {
		return
	}
	go func() {
		io.Copy(up, br)
		up.(*net.TCPConn).CloseWrite()
	}()
	io.Copy(c, up)
}

// originForm turns "GET http://host:port/path HTTP/1.1\r\n" into
// "GET /path HTTP/1.1\r\n" and host:port (port 80 when absent).
func originForm(line string) (string, string, error) {
	method, rest, ok1 := strings.Cut(line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	after, ok3 := strings.CutPrefix(target, "http://")
	if !ok1 || !ok2 || !ok3 {
		return "", "", errors.New("want a plain-HTTP proxy request (GET http://host/path HTTP/1.1)")
	}
	host, path := after, "/"
	if i := strings.IndexByte(after, '/'); i >= 0 {
		host, path = after[:i], after[i:]
	}
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "80")
	}
	return method + " " + path + " " + proto, host, nil
}
