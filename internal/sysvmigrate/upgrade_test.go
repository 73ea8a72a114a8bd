package sysvmigrate

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/testcache"
)

// skipOrFail skips a test whose tools are missing, unless the oracle tests
// are required (make test), where a skip would hide a missing check.
// chrootTar returns a cached bookworm minbase chroot as a tarball, built
// with mmdebstrap when missing (network needed once).
func chrootTar(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(cacheDir(), "sysv-upgrade")
	tarball := filepath.Join(dir, "bookworm-minbase.tar")
	if _, err := os.Stat(tarball); err == nil {
		return tarball
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp.tar", tarball, os.Getpid())
	out, err := exec.Command("mmdebstrap", "--variant=minbase", "--include=init-system-helpers", "bookworm", tmp,
		"http://deb.debian.org/debian").CombinedOutput()
	if err != nil {
		os.Remove(tmp)
		testcache.Missing(t, "mmdebstrap: %v\n%s", err, lastLines(string(out), 20))
	}
	if err := os.Rename(tmp, tarball); err != nil {
		t.Fatal(err)
	}
	return tarball
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, lastLines(string(out), 40))
	}
	return string(out)
}

// copyTree copies the sample source package, keeping the executable bits.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	run(t, "", "cp", "-a", src, dst)
}

// TestUpgrade is the acceptance test of the recipe: hello-svc 1.0 ships a
// unit, an init script and an /etc/default file only the script reads;
// migrate-sysv (Plan+Apply, with a changelog entry) makes 1.1; both are
// built with dpkg-buildpackage and installed in a bookworm chroot where
// the maintainer scripts really run. Upgrading removes the script, its rc
// links and the default file, keeps a locally modified script as
// .dpkg-bak, keeps the systemd enablement, and purge leaves nothing.
// lintian on 1.1 reports no error about init scripts or maintscripts.
func TestUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Geteuid() != 0 {
		testcache.Missing(t, "needs root for chroot")
	}
	for _, tool := range []string{"dpkg-buildpackage", "mmdebstrap", "chroot", "tar", "lintian"} {
		if _, err := exec.LookPath(tool); err != nil {
			testcache.Missing(t, "%s not installed", tool)
		}
	}
	if _, err := os.Stat("/usr/share/perl5/Debian/Debhelper/Sequence/systemd.pm"); err != nil {
		if _, err := exec.LookPath("dh_installsystemd"); err != nil {
			testcache.Missing(t, "debhelper not installed")
		}
	}
	tarball := chrootTar(t)
	work := t.TempDir()
	fixture, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sysv", "hello-svc"))
	if err != nil {
		t.Fatal(err)
	}

	// 1.0 as is.
	if err := os.MkdirAll(filepath.Join(work, "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyTree(t, fixture, filepath.Join(work, "v1", "hello-svc"))
	run(t, filepath.Join(work, "v1", "hello-svc"), "dpkg-buildpackage", "-us", "-uc", "-b")

	// 1.1 as migrate-sysv makes it.
	if err := os.MkdirAll(filepath.Join(work, "v2"), 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(work, "v2", "hello-svc")
	copyTree(t, fixture, src)
	r, err := Plan(src, Options{Version: "1.1", Changelog: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Blockers) != 0 || len(r.Upstream) != 0 {
		t.Fatalf("blockers %v, upstream %v", r.Blockers, r.Upstream)
	}
	if err := r.Apply(src); err != nil {
		t.Fatal(err)
	}
	t.Logf("migration:\n%s", r.Diff())
	run(t, src, "dpkg-buildpackage", "-us", "-uc", "-b")
	deb10 := filepath.Join(work, "v1", "hello-svc_1.0_all.deb")
	deb11 := filepath.Join(work, "v2", "hello-svc_1.1_all.deb")
	if out := run(t, "", "dpkg-deb", "-c", deb11); strings.Contains(out, "etc/init.d") || strings.Contains(out, "etc/default") {
		t.Fatalf("1.1 still ships the script or default file:\n%s", out)
	}

	// lintian: no error about init scripts, rc links or the maintscript.
	lint, _ := exec.Command("lintian", "--no-cfg", "--display-level", ">=info", deb11).CombinedOutput()
	t.Logf("lintian 1.1:\n%s", lint)
	bad := regexp.MustCompile(`(?m)^E: .*(init\.d|initd|update-?rc|rc\.d|maintscript|maintainer-script|conffile).*$`)
	if m := bad.FindAllString(string(lint), -1); len(m) > 0 {
		t.Errorf("lintian errors on 1.1:\n%s", strings.Join(m, "\n"))
	}

	root := filepath.Join(work, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, "", "tar", "-C", root, "-xf", tarball)
	// No service may start in the chroot (policy-rc.d(8)).
	if err := os.WriteFile(filepath.Join(root, "usr/sbin/policy-rc.d"), []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{deb10, deb11} {
		run(t, "", "cp", d, filepath.Join(root, "tmp"))
	}
	in := func(script string) string {
		t.Helper()
		return run(t, "", "chroot", root, "/bin/sh", "-ec", script)
	}
	links := "ls /etc/rc?.d/ | grep -c hello-svc || true"

	// A: unmodified script.
	in("dpkg -i /tmp/hello-svc_1.0_all.deb")
	if got := strings.TrimSpace(in(links)); got == "0" {
		t.Fatal("1.0 made no rc links")
	} else {
		t.Logf("1.0 installed %s rc links", got)
	}
	in("test -f /etc/init.d/hello-svc && test -f /etc/default/hello-svc")
	out := in("dpkg -i /tmp/hello-svc_1.1_all.deb 2>&1")
	t.Logf("upgrade:\n%s", out)
	if got := strings.TrimSpace(in(links)); got != "0" {
		t.Errorf("%s rc links left after the upgrade", got)
	}
	in("! test -e /etc/init.d/hello-svc && ! test -e /etc/init.d/hello-svc.dpkg-bak && ! test -e /etc/default/hello-svc")
	in("test -L /etc/systemd/system/multi-user.target.wants/hello-svc.service")
	in("dpkg --purge hello-svc")
	leftover := "find /etc /var/lib/systemd /usr /lib -name '*hello-svc*' 2>/dev/null; ls /var/lib/dpkg/info | grep hello-svc || true"
	if got := strings.TrimSpace(in(leftover)); got != "" {
		t.Errorf("purge left:\n%s", got)
	}

	// B: a locally modified script is kept as .dpkg-bak, as dpkg does for
	// any obsolete modified conffile; purge removes it.
	in("dpkg -i /tmp/hello-svc_1.0_all.deb")
	in("echo '# local change' >> /etc/init.d/hello-svc")
	out = in("dpkg -i /tmp/hello-svc_1.1_all.deb 2>&1")
	if !strings.Contains(out, "Saving as /etc/init.d/hello-svc.dpkg-bak") {
		t.Errorf("upgrade with a modified script:\n%s", out)
	}
	in("test -f /etc/init.d/hello-svc.dpkg-bak && ! test -e /etc/init.d/hello-svc")
	if got := strings.TrimSpace(in(links)); got != "0" {
		t.Errorf("%s rc links left after the upgrade of a modified script", got)
	}
	in("dpkg --purge hello-svc")
	if got := strings.TrimSpace(in(leftover)); got != "" {
		t.Errorf("purge left:\n%s", got)
	}
}
