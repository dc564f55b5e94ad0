package sandbox

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// status follows the JSON records bwrap writes to --json-status-fd:
// {"child-pid": N, ...} once the sandbox's first process exists and
// {"exit-code": N} when the step's shell has exited. A missing exit-code
// record after bwrap failed means the step never ran (a setup error).
type status struct {
	done chan struct{} // closed when the stream ends

	mu       sync.Mutex
	pid      int // host pid of the sandbox's init (0 until known)
	pidfd    int // -1 until opened
	killed   bool
	exitCode int
	exited   bool
}

// readStatus follows r. hostPIDs says whether the child-pid bwrap reports
// is a pid of pestle's namespace; when bwrap heads a namespace of its own
// (see ownPIDNS) it is not, and bwrap's own exit is the sandbox's end.
func readStatus(r *os.File, hostPIDs bool) *status {
	st := &status{done: make(chan struct{}), pidfd: -1}
	go func() {
		defer close(st.done)
		defer r.Close()
		dec := json.NewDecoder(r)
		for {
			var rec struct {
				ChildPID *int `json:"child-pid"`
				ExitCode *int `json:"exit-code"`
			}
			if dec.Decode(&rec) != nil {
				_, _ = io.Copy(io.Discard, r)
				return
			}
			st.mu.Lock()
			if rec.ChildPID != nil && st.pid == 0 && hostPIDs {
				st.pid = *rec.ChildPID
				if fd, err := pidfdOpen(st.pid); err == nil {
					st.pidfd = fd
					if st.killed {
						pidfdKill(fd)
					}
				}
			}
			if rec.ExitCode != nil {
				st.exitCode, st.exited = *rec.ExitCode, true
			}
			st.mu.Unlock()
		}
	}()
	return st
}

// kill sends SIGKILL to the sandbox's init, now or as soon as it is known.
func (st *status) kill() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.killed = true
	if st.pidfd >= 0 {
		pidfdKill(st.pidfd)
	}
}

// waitExit waits until the sandbox's init has exited; the kernel only lets
// a PID namespace's init exit after every other process in it is gone.
// It reports false when that did not happen within d.
func (st *status) waitExit(d time.Duration) bool {
	st.mu.Lock()
	fd := st.pidfd
	st.mu.Unlock()
	if fd < 0 {
		return true
	}
	return pidfdWait(fd, d)
}

func (st *status) exit() (int, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.exitCode, st.exited
}

func (st *status) childPID() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.pid
}

// close releases the pidfd once the stream has ended.
func (st *status) close() {
	<-st.done
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.pidfd >= 0 {
		closeFD(st.pidfd)
		st.pidfd = -1
	}
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailMax {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// lastLines returns the last n non-empty lines of s, joined by "; ".
func lastLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "; ")
}
