//go:build !linux

package sandbox

import (
	"errors"
	"syscall"
)

// Limits bound the CPU and memory of a sandbox's processes.
type Limits struct {
	CPUs   float64
	Memory int64
}

// Cgroup is not available off Linux.
type Cgroup struct{}

// NewCgroup always fails off Linux.
func NewCgroup(Limits) (*Cgroup, error) { return nil, errors.New("cgroups need Linux") }

// Close does nothing.
func (c *Cgroup) Close() error { return nil }

func (c *Cgroup) enter(*syscall.SysProcAttr) {}
