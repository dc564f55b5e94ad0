package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// warnResources says, once per build, which requested resource limits are
// not applied, and why. pestle does not place the sandbox in a cgroup of
// its own yet, so --cpu and --memory are reported rather than enforced;
// --cpumodel and --disk only mean something to melange's QEMU runner.
func (o *EnvOptions) warnResources(log *slog.Logger) {
	r := o.Resources
	if r.CPU != "" || r.Memory != "" {
		log.Warn("--cpu/--memory are not enforced: the sandbox is not given a cgroup v2 limit here; the build uses the host's CPUs and memory",
			"cpu", r.CPU, "memory", r.Memory)
	}
	if r.CPUModel != "" || r.Disk != "" {
		log.Warn("--cpumodel/--disk only size melange's QEMU virtual machines; bubblewrap uses the host CPU and filesystem",
			"cpumodel", r.CPUModel, "disk", r.Disk)
	}
}
