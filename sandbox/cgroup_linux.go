package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// cgroupRoot is where the cgroup v2 hierarchy is mounted.
const cgroupRoot = "/sys/fs/cgroup"

// Limits bound the CPU and memory of a sandbox's processes.
type Limits struct {
	CPUs   float64 // CPUs' worth of time per period (cpu.max); 0: no limit
	Memory int64   // bytes (memory.max); 0: no limit
}

// Cgroup is a cgroup v2 made for one sandbox: its steps start in it
// (clone into the cgroup, so no process runs outside it even briefly).
type Cgroup struct {
	dir string
	f   *os.File
}

// NewCgroup makes a child of pestle's own cgroup with the limits l. It
// needs the unified (v2) hierarchy and a cgroup pestle may write whose
// subtree has (or may be given) the cpu and memory controllers: systemd's
// delegation (Delegate=yes, systemd-run --user -p Delegate=yes) or a
// container's own cgroup namespace. The error says which is missing.
func NewCgroup(l Limits) (*Cgroup, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		return nil, errors.New("cgroup v2 is not mounted at " + cgroupRoot + " (this host uses cgroup v1)")
	}
	self, err := ownCgroup()
	if err != nil {
		return nil, err
	}
	parent := filepath.Join(cgroupRoot, self)
	var want []string
	if l.CPUs > 0 {
		want = append(want, "cpu")
	}
	if l.Memory > 0 {
		want = append(want, "memory")
	}
	if err := enableControllers(parent, want); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "pestle-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("cgroup %s is not delegated to pestle: %w", parent, err)
	}
	c := &Cgroup{dir: dir}
	if err := c.limit(l); err != nil {
		c.Close()
		return nil, err
	}
	if c.f, err = os.Open(dir); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Cgroup) limit(l Limits) error {
	if l.CPUs > 0 {
		const period = 100000
		quota := int64(l.CPUs * period)
		if quota < 1000 {
			quota = 1000
		}
		if err := os.WriteFile(filepath.Join(c.dir, "cpu.max"), []byte(fmt.Sprintf("%d %d", quota, period)), 0); err != nil {
			return fmt.Errorf("setting cpu.max: %w", err)
		}
	}
	if l.Memory > 0 {
		if err := os.WriteFile(filepath.Join(c.dir, "memory.max"), []byte(strconv.FormatInt(l.Memory, 10)), 0); err != nil {
			return fmt.Errorf("setting memory.max: %w", err)
		}
	}
	return nil
}

// Close removes the cgroup; its processes must have exited.
func (c *Cgroup) Close() error {
	if c == nil {
		return nil
	}
	if c.f != nil {
		c.f.Close()
	}
	return os.Remove(c.dir)
}

// enter makes a process started with a start in the cgroup (none: nil c).
func (c *Cgroup) enter(a *syscall.SysProcAttr) {
	if c != nil {
		a.UseCgroupFD, a.CgroupFD = true, int(c.f.Fd())
	}
}

// ownCgroup is the v2 cgroup path of this process ("0::/path").
func ownCgroup() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return p, nil
		}
	}
	return "", errors.New("no cgroup v2 entry in /proc/self/cgroup")
}

// enableControllers makes sure dir's children may use the controllers.
func enableControllers(dir string, want []string) error {
	have, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	var add []string
	for _, c := range want {
		if !strings.Contains(" "+strings.TrimSpace(string(have))+" ", " "+c+" ") {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(add, " ")), 0); err != nil {
		return fmt.Errorf("cannot enable %s for the children of cgroup %s (not delegated, or pestle's own processes live in it): %w",
			strings.Join(want, " and "), dir, err)
	}
	return nil
}
