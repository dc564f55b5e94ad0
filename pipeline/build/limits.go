package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/pestle-dev/pestle/pipeline"
	"github.com/pestle-dev/pestle/sandbox"
)

// withTimeout bounds ctx by opts.Timeout (melange's --timeout).
func (o *EnvOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.Timeout)
}

// timeoutError names --timeout when it is why err happened.
func (o *EnvOptions) timeoutError(ctx context.Context, err error) error {
	if o.Timeout > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w (--timeout %s reached; raise it or pass --timeout 0)", err, o.Timeout)
	}
	return err
}

// warnResources says which requested resources only mean something to
// melange's QEMU runner (--cpumodel, --disk).
func (o *EnvOptions) warnResources(log *slog.Logger) {
	r := o.Resources
	if r.CPUModel != "" || r.Disk != "" {
		log.Warn("--cpumodel/--disk only size melange's QEMU virtual machines; bubblewrap uses the host CPU and filesystem",
			"cpumodel", r.CPUModel, "disk", r.Disk)
	}
}

// limit puts the sandbox of s in a cgroup of its own when --cpu or
// --memory ask for limits. Where cgroup v2 delegation does not allow it,
// one warning says why and the steps run unlimited.
func (s *session) limit(opts *EnvOptions, spec *sandbox.Spec) error {
	l, err := parseLimits(opts.Resources)
	if err != nil || l == (sandbox.Limits{}) {
		return err
	}
	if s.cgroup == nil {
		cg, err := sandbox.NewCgroup(l)
		if err != nil {
			s.log.Warn("--cpu/--memory not enforced: " + err.Error())
			return nil
		}
		s.cgroup = cg
		s.log.Info("sandbox limited", "cpus", l.CPUs, "memory-bytes", l.Memory)
	}
	spec.Cgroup = s.cgroup
	return nil
}

// parseLimits reads melange's --cpu and --memory, Kubernetes-style
// quantities: CPUs as "2", "1.5" or "500m"; memory as bytes or with a
// suffix k, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024).
func parseLimits(r pipeline.Resources) (sandbox.Limits, error) {
	var l sandbox.Limits
	if c := strings.TrimSpace(r.CPU); c != "" {
		scale := 1.0
		if m, ok := strings.CutSuffix(c, "m"); ok {
			c, scale = m, 0.001
		}
		v, err := strconv.ParseFloat(c, 64)
		if err != nil || v <= 0 {
			return l, fmt.Errorf("--cpu %q: want a number of CPUs such as 2, 1.5 or 500m", r.CPU)
		}
		l.CPUs = v * scale
	}
	if m := strings.TrimSpace(r.Memory); m != "" {
		mult := int64(1)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}} {
			if v, ok := strings.CutSuffix(m, u.suffix); ok {
				m, mult = v, u.mult
				break
			}
		}
		v, err := strconv.ParseInt(m, 10, 64)
		if err != nil || v <= 0 || v > (1<<62)/mult {
			return l, fmt.Errorf("--memory %q: want a size such as 4Gi, 512M or a number of bytes", r.Memory)
		}
		l.Memory = v * mult
	}
	return l, nil
}

// checkInteractive turns Interactive off when the shell would read a file
// that is not a terminal (stdin from /dev/null, a pipe, a CI runner's):
// it would meet end-of-file at once and exit 0, and the step that failed
// would count as passed.
func (o *EnvOptions) checkInteractive(log *slog.Logger) {
	if !o.Interactive {
		return
	}
	if f, ok := o.Stdin.(*os.File); o.Stdin == nil || ok && !sandbox.IsTerminal(f) {
		log.Warn("--interactive needs a terminal on stdin: a step that fails fails the build, with no shell")
		o.Interactive = false
	}
}
