package dhrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const control = `Source: sample
Maintainer: Sample Maintainer <sample@example.org>

Package: p1
Architecture: all
Description: one

Package: p2
Architecture: any
Description: two

Package: p3
Architecture: all
Description: three
`

const unit = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/usr/sbin/x\n\n[Install]\nWantedBy=multi-user.target\n"

// setup makes a source tree whose staging directories look as they do
// after dh_installsystemd: p1 ships two units in /lib, p2 one in /usr/lib,
// p3 only an init script.
func setup(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	files := map[string]string{
		"debian/control":                             control,
		"debian/p1/lib/systemd/system/a.service":     unit,
		"debian/p1/lib/systemd/system/b.service":     unit,
		"debian/p2/usr/lib/systemd/system/c.service": unit,
		"debian/p3/etc/init.d/d":                     "#!/bin/sh\n",
	}
	for f, c := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	e := map[string]string{"DEB_HOST_ARCH": "amd64"}
	for k, v := range env {
		e[k] = v
	}
	var o, x bytes.Buffer
	st := Run(context.Background(), append([]string{"--systemd-version=252"}, args...), func(k string) string { return e[k] }, &o, &x)
	return st, o.String(), x.String()
}

func dropin(pkg, dir, u string) string {
	return filepath.Join("debian", pkg, dir, u+".d", "10-systemd-harden.conf")
}

func exists(f string) bool { _, err := os.Stat(f); return err == nil }

func TestPlainRun(t *testing.T) {
	setup(t)
	st, out, errs := run(t, nil)
	if st != 0 || out != "" {
		t.Fatalf("status %d, stdout %q (quiet by default), stderr %q", st, out, errs)
	}
	for _, f := range []string{dropin("p1", "lib/systemd/system", "a.service"), dropin("p1", "lib/systemd/system", "b.service"),
		dropin("p2", "usr/lib/systemd/system", "c.service"), "debian/.debhelper/systemd-harden/p1/plan.jsonl",
		"debian/.debhelper/systemd-harden/p1/plan.txt"} {
		if !exists(f) {
			t.Errorf("%s missing", f)
		}
	}
	// p3 ships only an init script: the engine runs for its SysV
	// findings, which never touch /etc/init.d.
	if !exists("debian/.debhelper/systemd-harden/p3/plan.jsonl") {
		t.Error("p3 (init script only) was not processed")
	}
	if b, _ := os.ReadFile("debian/p3/etc/init.d/d"); string(b) != "#!/bin/sh\n" {
		t.Error("the init script changed")
	}
	if exists("debian/p1.debhelper.log") {
		t.Error("log written outside an override target")
	}
}

func TestExcludeAndUnits(t *testing.T) {
	setup(t)
	if st, _, errs := run(t, map[string]string{"DH_ALWAYS_EXCLUDE": "nothing-matches"}, "-X", "b.serv"); st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	if !exists(dropin("p1", "lib/systemd/system", "a.service")) || exists(dropin("p1", "lib/systemd/system", "b.service")) {
		t.Error("-X b.serv: want a hardened and b left alone")
	}

	setup(t)
	if st, _, errs := run(t, nil, "c.service"); st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	if !exists(dropin("p2", "usr/lib/systemd/system", "c.service")) || exists(dropin("p1", "lib/systemd/system", "a.service")) {
		t.Error("positional c.service: want only c hardened")
	}
	if st, _, errs := run(t, nil, "nosuch.service"); st != 2 || !strings.Contains(errs, "nosuch.service") {
		t.Errorf("unknown unit: status %d, %q", st, errs)
	}
}

func TestVerboseNoActReportLog(t *testing.T) {
	setup(t)
	st, out, _ := run(t, nil, "--no-act", "-v", "-pp1")
	if st != 0 || !strings.Contains(out, "\tsystemd-harden apply") || exists("debian/.debhelper/systemd-harden") {
		t.Fatalf("--no-act -v: status %d, wrote %v, stdout %q", st, exists("debian/.debhelper/systemd-harden"), out)
	}
	st, out, errs := run(t, map[string]string{"DH_VERBOSE": "1", "DH_INTERNAL_OVERRIDE": "dh_systemd_harden"}, "-pp1", "--report", "rep")
	if st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	if !strings.Contains(out, "\tinstall -m0644 "+dropin("p1", "lib/systemd/system", "a.service")) {
		t.Errorf("DH_VERBOSE: the changed files are not listed:\n%s", out)
	}
	if !exists("rep/p1/plan.jsonl") || exists("rep/p2") {
		t.Error("--report: want rep/p1 only")
	}
	if b, _ := os.ReadFile("debian/p1.debhelper.log"); string(b) != "dh_systemd_harden\n" {
		t.Errorf("override log: %q", b)
	}
	// --remaining-packages now skips p1.
	st, _, _ = run(t, nil, "--remaining-packages", "-X", "c.service", "-Np3")
	if st != 0 || exists(dropin("p2", "usr/lib/systemd/system", "c.service")) {
		t.Errorf("status %d", st)
	}
}

func TestCheckOnly(t *testing.T) {
	setup(t)
	st, _, errs := run(t, nil, "-pp1", "--check-only", "-O--tier=strict")
	if st != 1 || !strings.Contains(errs, "E: p1: tier-directive-missing a.service") {
		t.Fatalf("status %d, stderr %q", st, errs)
	}
	if exists(dropin("p1", "lib/systemd/system", "a.service")) {
		t.Error("--check-only wrote a drop-in")
	}
	if !exists("debian/.debhelper/systemd-harden/p1/check.txt") {
		t.Error("no check.txt")
	}
	// --fail-on none: findings are reported, the run passes.
	if st, _, _ := run(t, nil, "-pp1", "--check-only", "--fail-on=none"); st != 0 {
		t.Errorf("--fail-on none: status %d", st)
	}
}

func TestConfigErrors(t *testing.T) {
	setup(t)
	if err := os.WriteFile("debian/p1.systemd-harden", []byte("tier strict\nfrobnicate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := run(t, nil, "-pp1")
	if st != 2 || !strings.Contains(errs, "debian/p1.systemd-harden:2") {
		t.Errorf("bad config: status %d, %q", st, errs)
	}
	if exists(dropin("p1", "lib/systemd/system", "a.service")) {
		t.Error("a bad config still wrote drop-ins")
	}
	for _, args := range [][]string{{"--tier=nonsense"}, {"--frobnicate"}, {"-pnope"}, {"--systemd-version=254"}} {
		setup(t)
		if st, _, errs := run(t, nil, args...); st != 2 || !strings.HasPrefix(errs, "dh_systemd_harden") {
			t.Errorf("%q: status %d, %q", args, st, errs)
		}
	}
}

// A unit the requested tier refuses gets the strongest tier that is not
// refused and a warning naming the reasons; --check-only fails instead.
func TestRefusedTier(t *testing.T) {
	setup(t)
	root := "[Service]\nUser=root\nExecStart=/usr/sbin/x\n"
	if err := os.WriteFile("debian/p1/lib/systemd/system/a.service", []byte(root), 0o644); err != nil {
		t.Fatal(err)
	}
	st, _, errs := run(t, nil, "-pp1", "--check-only", "--tier=dynamic-user", "a.service")
	if st != 1 || !strings.Contains(errs, "E: p1: dynamic-user-explicit-root") {
		t.Errorf("--check-only: status %d, %q", st, errs)
	}
	st, _, errs = run(t, nil, "-pp1", "--tier=dynamic-user", "a.service")
	if st != 0 || !strings.Contains(errs, "W: p1: tier-refused") || !strings.Contains(errs, "dynamic-user-explicit-root") {
		t.Errorf("apply: status %d, %q", st, errs)
	}
	b, err := os.ReadFile("debian/.debhelper/systemd-harden/p1/plan.jsonl")
	if err != nil || !strings.Contains(string(b), `"tier":"strict"`) || !strings.Contains(string(b), `"status":"rewritten"`) {
		t.Errorf("plan: %s %v", b, err)
	}
}
