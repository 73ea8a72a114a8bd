// Package boot runs hardened Debian packages under a real systemd: it
// builds (once, cached) a minimal bookworm rootfs, boots it with
// systemd-nspawn in a volatile, loopback-only container, installs the
// package unchanged (the control) and as rewritten by systemd-harden apply,
// starts its units and probes them. The recipe is
// ../shared/notes/boot-harness.md; the entry point is testdata/boot.
package boot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Suite and Mirror name the Debian release the rootfs is built from.
const (
	Suite  = "bookworm"
	Mirror = "http://deb.debian.org/debian"
)

// BaseInclude is installed into every rootfs: systemd as PID 1 and the
// clients the probes use.
var BaseInclude = []string{
	"systemd", "systemd-sysv", "dbus", "procps", "iproute2", "curl", "ca-certificates",
	"netcat-openbsd", "bind9-dnsutils", "mosquitto-clients", "openssh-client", "debconf-utils",
}

// rootfsVersion changes when the way the rootfs is built changes.
const rootfsVersion = "1"

// RootfsKey is the cache key of a rootfs holding pkgs pre-downloaded.
func RootfsKey(pkgs []string) string {
	p := append([]string(nil), pkgs...)
	sort.Strings(p)
	h := sha256.Sum256([]byte(rootfsVersion + "\n" + Suite + "\n" + strings.Join(BaseInclude, ",") + "\n" + strings.Join(p, " ")))
	return hex.EncodeToString(h[:8])
}

// EnsureRootfs returns a cached rootfs under cacheDir for pkgs (their .debs
// and dependencies downloaded into /var/cache/apt/archives, apt lists kept,
// so the container installs without network), building it with mmdebstrap
// when it is missing. The caller holds a shared lock on the root's .lock
// file until it calls release, so no other run prunes the root while it
// boots from it; builders are serialised by an exclusive lock on .build.
func EnsureRootfs(ctx context.Context, cacheDir string, pkgs []string, log io.Writer) (dir string, release func(), err error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", nil, err
	}
	dir = filepath.Join(cacheDir, "rootfs-"+RootfsKey(pkgs))
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, err
	}
	// Shared first: a built root is used by any number of runs at once.
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH); err != nil {
		lock.Close()
		return "", nil, err
	}
	if !built(dir) {
		// Builders are serialised by a lock of their own, so that users of
		// the root (shared on .lock) never wait for each other's runs.
		if err := buildLocked(ctx, cacheDir, dir, pkgs, log); err != nil {
			lock.Close()
			return "", nil, err
		}
	}
	return dir, func() { lock.Close() }, nil
}

func buildLocked(ctx context.Context, cacheDir, dir string, pkgs []string, log io.Writer) error {
	b, err := os.OpenFile(dir+".build", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := syscall.Flock(int(b.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	return buildRootfs(ctx, cacheDir, dir, pkgs, log) // checks again: another builder may have finished
}

func built(dir string) bool {
	st, err := os.Stat(filepath.Join(dir, "sbin", "init"))
	return err == nil && st != nil
}

// buildRootfs builds dir with mmdebstrap unless it is already there; the
// caller holds the build lock.
func buildRootfs(ctx context.Context, cacheDir, dir string, pkgs []string, log io.Writer) error {
	if built(dir) {
		return nil
	}
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return fmt.Errorf("mmdebstrap not found (apt-get install mmdebstrap): %w", err)
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	args := []string{
		"--variant=minbase",
		"--include=" + strings.Join(BaseInclude, ","),
		"--skip=cleanup/apt",
		`--customize-hook=echo 'APT::Install-Recommends "false";' > "$1/etc/apt/apt.conf.d/99no-recommends"`,
		"--customize-hook=chroot \"$1\" apt-get install -y -q --download-only " + strings.Join(pkgs, " "),
		`--customize-hook=passwd -R "$1" -d root`,
		`--customize-hook=echo testct > "$1/etc/hostname"`,
		`--customize-hook=rm -f "$1/etc/machine-id"; systemd-machine-id-setup --root="$1"`,
		Suite, tmp, Mirror,
	}
	fmt.Fprintf(log, "boot: building rootfs %s (mmdebstrap, %d packages pre-downloaded)\n", dir, len(pkgs))
	cmd := exec.CommandContext(ctx, "mmdebstrap", args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("mmdebstrap: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	pruneRootfs(cacheDir, dir, log)
	return nil
}

// pruneRootfs removes the roots of other package lists (about 0.5 GB
// each, left by earlier case sets), skipping any whose lock another run
// holds (shared while it boots from it, exclusive while it builds).
func pruneRootfs(cacheDir, keep string, log io.Writer) {
	locks, _ := filepath.Glob(filepath.Join(cacheDir, "rootfs-*.lock"))
	for _, l := range locks {
		dir := strings.TrimSuffix(l, ".lock")
		if dir == keep {
			continue
		}
		f, err := os.OpenFile(l, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		// The lock file itself stays: unlinking it would let a run that
		// opened it just before lock an orphaned inode.
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			if err := os.RemoveAll(dir); err == nil {
				fmt.Fprintf(log, "boot: removed the stale rootfs %s\n", dir)
			}
		}
		f.Close()
	}
}

// ArchivedDeb is the .deb of package name in the rootfs' apt cache.
func ArchivedDeb(root, name string) (string, error) {
	m, err := filepath.Glob(filepath.Join(root, "var/cache/apt/archives", name+"_*.deb"))
	if err != nil {
		return "", err
	}
	if len(m) != 1 {
		return "", fmt.Errorf("%s: %d archived .debs in the rootfs (want 1)", name, len(m))
	}
	return m[0], nil
}
