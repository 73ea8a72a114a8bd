package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// CanBoot reports whether this machine can boot a container, and why not.
func CanBoot() (bool, string) {
	if os.Geteuid() != 0 {
		return false, "not root: systemd-nspawn needs root privileges"
	}
	for _, p := range []string{"systemd-nspawn", "nsenter", "mmdebstrap"} {
		if _, err := exec.LookPath(p); err != nil {
			return false, p + " not found (apt-get install systemd-container mmdebstrap)"
		}
	}
	if _, err := os.Stat("/sys/fs/cgroup"); err != nil {
		return false, "no /sys/fs/cgroup"
	}
	return true, ""
}

// Container is one booted, volatile systemd-nspawn container.
type Container struct {
	Name   string
	PID1   int
	cmd    *exec.Cmd
	done   chan error
	cgs    []string
	Log    string // nspawn's console log
	closed bool
}

var seq atomic.Int64

// cgroupRoots are the hierarchies a per-run cgroup is made in (hybrid host
// as in the notes, or pure v2).
func cgroupRoots() []string {
	var out []string
	for _, d := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"} {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		out = []string{"/sys/fs/cgroup"}
	}
	return out
}

// Boot starts root read-only under a tmpfs overlay, with loopback-only
// networking, and waits until its systemd reports running or degraded.
// binds maps host directories to read-only container paths.
func Boot(ctx context.Context, root, logDir string, binds map[string]string) (*Container, error) {
	name := fmt.Sprintf("sdh%d-%d", os.Getpid(), seq.Add(1))
	c := &Container{Name: name, Log: filepath.Join(logDir, name+".console.log"), done: make(chan error, 1)}
	for _, r := range cgroupRoots() {
		c.cgs = append(c.cgs, filepath.Join(r, name))
	}
	args := []string{"-D", root, "--register=no", "--keep-unit", "--machine=" + name,
		"--volatile=overlay", "--private-network",
		"--system-call-filter=bpf", "--capability=CAP_BPF,CAP_PERFMON",
		"--boot", "--console=read-only"}
	for host, in := range binds {
		args = append(args, "--bind-ro="+host+":"+in)
	}
	// Move into per-run cgroups before exec, so parallel containers do not
	// share nspawn's /payload and nothing is left at the root.
	script := `for d in $0; do mkdir -p "$d" && echo $$ > "$d/cgroup.procs"; done; exec "$@"`
	full := append([]string{"-c", script, strings.Join(c.cgs, " "), "systemd-nspawn"}, args...)
	logf, err := os.Create(c.Log)
	if err != nil {
		return nil, err
	}
	c.cmd = exec.Command("sh", full...)
	c.cmd.Env = append(os.Environ(), "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	c.cmd.Stdout, c.cmd.Stderr = logf, logf
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { c.done <- c.cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for c.PID1 == 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			c.Close()
			return nil, fmt.Errorf("container %s: no PID 1 after 30 s: %s", name, tail(c.Log, 20))
		}
		select {
		case err := <-c.done:
			c.done <- err
			c.Close()
			return nil, fmt.Errorf("container %s: nspawn exited (%v): %s", name, err, tail(c.Log, 20))
		case <-time.After(50 * time.Millisecond):
		}
		out, _ := exec.Command("pgrep", "-P", strconv.Itoa(c.cmd.Process.Pid), "-x", "systemd").Output()
		if f := strings.Fields(string(out)); len(f) > 0 {
			c.PID1, _ = strconv.Atoi(f[0])
		}
	}
	var st string
	for time.Now().Before(deadline) {
		o, _ := c.Exec(ctx, 10*time.Second, "systemctl is-system-running --wait")
		st = strings.TrimSpace(o)
		if st == "running" || st == "degraded" {
			return c, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.Close()
	return nil, fmt.Errorf("container %s: system state %q after 30 s: %s", name, st, tail(c.Log, 20))
}

// Exec runs a shell script inside the container as root (nsenter into all
// of PID 1's namespaces, with a clean environment) and returns stdout and
// stderr combined.
func (c *Container) Exec(ctx context.Context, limit time.Duration, script string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", "-t", strconv.Itoa(c.PID1), "-a",
		"env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C.UTF-8", "HOME=/root", "DEBIAN_FRONTEND=noninteractive", "sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s: %w", limit, err)
	}
	return b.String(), err
}

// Close powers the container off (poweroff, then TERM, then KILL) and
// removes its cgroups and nspawn's propagation directory.
func (c *Container) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	if c.PID1 != 0 {
		c.Exec(context.Background(), 10*time.Second, "systemctl poweroff --no-block")
	}
	wait := func(d time.Duration) bool {
		select {
		case err := <-c.done:
			c.done <- err
			return true
		case <-time.After(d):
			return false
		}
	}
	if !wait(20 * time.Second) {
		c.cmd.Process.Signal(syscall.SIGTERM)
		if !wait(5 * time.Second) {
			c.cmd.Process.Kill()
			if !wait(5 * time.Second) {
				errs = append(errs, fmt.Errorf("container %s: nspawn pid %d did not exit", c.Name, c.cmd.Process.Pid))
			}
		}
	}
	for _, cg := range c.cgs {
		if err := removeCgroup(cg); err != nil {
			errs = append(errs, err)
		}
	}
	os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", c.Name))
	return errors.Join(errs...)
}

// removeCgroup removes a cgroup directory tree, deepest first (cgroupfs
// directories are removed with rmdir, never unlink).
func removeCgroup(dir string) error {
	var last error
	for try := 0; try < 120; try++ {
		if _, err := os.Stat(dir); err != nil {
			return nil
		}
		var dirs []string
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		last = nil
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
				last = err
			}
		}
		if last == nil {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("cgroup %s left behind after 30 s: %w", dir, last)
}

func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
