package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/pestle-dev/pestle/internal/termsafe"
)

// lineHandler renders log records as one short line a person can follow:
//
//	12:04:05 built  package=hello-server took=1.2s
//
// Warnings and errors are marked; debug records appear with --log-level debug.
type lineHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []slog.Attr
}

func newLineHandler(w io.Writer, level slog.Leveler) *lineHandler {
	return &lineHandler{mu: &sync.Mutex{}, w: w, level: level}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05"))
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString(" ERROR")
	case r.Level >= slog.LevelWarn:
		b.WriteString(" WARN")
	case r.Level < slog.LevelInfo:
		b.WriteString(" debug")
	}
	b.WriteString(" " + termsafe.String(r.Message))
	write := func(a slog.Attr) bool {
		v := a.Value.Resolve()
		if d, ok := v.Any().(time.Duration); ok {
			fmt.Fprintf(&b, " %s=%s", a.Key, d)
			return true
		}
		// Values may come from recipes, packages and steps: one with a
		// control character (a newline forging a line, an escape
		// sequence) is quoted, which escapes it.
		s := v.String()
		if strings.ContainsAny(s, " \t\"=\n") || s == "" || termsafe.HasControl(s) {
			s = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, s)
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &n
}

// WithGroup is not used by pestle's libraries; groups are flattened.
func (h *lineHandler) WithGroup(string) slog.Handler { return h }
