package netrec

import (
	"io"
	"net"
	"sync"
)

// take waits for one of the maxConns slots for c, and returns c with its
// Close giving the slot back. It fails, closing c, when the server closes
// first.
func (s *server) take(c net.Conn) (net.Conn, error) {
	if s.maxConns <= 0 {
		return c, nil
	}
	s.mu.Lock()
	if s.slots == nil {
		s.slots = make(chan struct{}, s.maxConns)
	}
	slots, done := s.slots, s.doneLocked()
	s.mu.Unlock()
	select {
	case slots <- struct{}{}:
	default:
		s.mu.Lock()
		warn := !s.warned
		s.warned = true
		s.mu.Unlock()
		if warn && s.log != nil {
			s.log.Warn("the steps hold the most connections to the network proxy it serves at once; new ones wait for one to close", "connections", s.maxConns)
		}
		select {
		case slots <- struct{}{}:
		case <-done:
			c.Close()
			return nil, net.ErrClosed
		}
	}
	return &slotConn{Conn: c, release: func() { <-slots }}, nil
}

// doneLocked is the channel close closes; s.mu is held.
func (s *server) doneLocked() chan struct{} {
	if s.done == nil {
		s.done = make(chan struct{})
		if s.closed {
			close(s.done)
		}
	}
	return s.done
}

// slotConn gives its slot back when it is closed, once. It passes on
// ReadFrom (splice) and CloseWrite where the connection has them.
type slotConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *slotConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

func (c *slotConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *slotConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
