package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
)

// TestPlumbingAndSessionHosts: early-boot plumbing keeps what it exists to
// do (systemd-remount-fs needs mount(), modprobe@ CAP_SYS_MODULE,
// systemd-hibernate a writable /sys), a session host is left as it is,
// because its logins and jobs inherit the sandbox (the boot harness: an
// @reboot cron job could not write /var/tmp, /root or /var/log), and so is
// a unit whose maintainers wrote a sandbox.
func TestPlumbingAndSessionHosts(t *testing.T) {
	for _, c := range []struct {
		pkg, unit string
		unchanged bool // no drop-in at all
	}{
		{"systemd", "systemd-remount-fs.service", false},
		{"systemd", "modprobe@.service", false},
		{"systemd", "systemd-hibernate.service", false},
		{"systemd", "systemd-backlight@.service", false},
		{"lvm2", "lvm2-monitor.service", false},
		{"systemd", "getty@.service", true},
		{"systemd", "user@.service", true},
		{"cron", "cron.service", true},
		{"openssh-server", "ssh.service", true},
		// A maintainer's sandbox stays as written: hostnamed sets the host
		// name (ProtectHostname= would confine it to its own namespace),
		// logind must see every session's processes (ProtectProc=).
		{"systemd", "systemd-hostnamed.service", true},
		{"systemd", "systemd-logind.service", true},
	} {
		p, err := debread.Read(context.Background(), debFor(t, c.pkg), debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tier := range []string{"baseline", "strict", "dynamic-user"} {
			u := tierPlan(t, p, tier, c.unit, false)
			if c.unchanged {
				if u.Status != "unchanged" || len(u.Content) != 0 {
					t.Errorf("%s %s: status %s, drop-in:\n%s", tier, c.unit, u.Status, u.Content)
				}
				continue
			}
			for _, d := range []string{"ProtectKernelTunables=", "ProtectKernelModules=", "SystemCallFilter=", "CapabilityBoundingSet=", "ProtectSystem=", "PrivateDevices=", "NoNewPrivileges=", "RestrictAddressFamilies=", "DynamicUser="} {
				if strings.Contains(string(u.Content), "\n"+d) {
					t.Errorf("%s %s: the drop-in sets %s:\n%s", tier, c.unit, d, u.Content)
				}
			}
		}
	}
}

// TestOwnDropinName: the signals skip our own drop-in by this name.
func TestOwnDropinName(t *testing.T) {
	if signals.OwnDropin != plan.DropinName {
		t.Errorf("signals.OwnDropin %q != plan.DropinName %q", signals.OwnDropin, plan.DropinName)
	}
}

// TestSandboxCheckedNotRewritten: apply leaves a maintainer's sandbox as
// written, while check still reports its gaps against the tier, as
// warnings.
func TestSandboxCheckedNotRewritten(t *testing.T) {
	p, err := debread.Read(context.Background(), debFor(t, "systemd"), debread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, check := range []bool{false, true} {
		u := tierPlan(t, p, "strict", "systemd-hostnamed.service", check)
		missing := false
		for _, f := range u.Findings {
			if f.Tag == "tier-directive-missing-sandboxed" && f.Severity == finding.Warning && strings.Contains(f.Detail, "ProtectHostname=") {
				missing = true
			}
		}
		if check != missing {
			t.Errorf("check=%v: ProtectHostname reported missing: %v, want %v; status %s", check, missing, check, u.Status)
		}
	}
}

// TestCheckPassesWhatApplyLeaves: for every unit of the real packages that
// apply leaves unchanged, the package as shipped is what apply produces,
// so check must find no error in it (a maintainer's sandbox, plumbing,
// session hosts, units already meeting the tier).
func TestCheckPassesWhatApplyLeaves(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, deb := range testcache.RealDebs(t) {
		p, err := debread.Read(context.Background(), deb, debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tier := range []string{"baseline", "strict"} {
			status := map[string]string{}
			for _, check := range []bool{false, true} {
				pl, err := plan.New(p, set, plan.Options{Tier: tier, Version: 252, ToolVersion: "test"})
				if err != nil {
					t.Fatal(err)
				}
				us, err := pl.Plan(check)
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range us {
					if !check {
						status[u.Unit] = u.Status
						continue
					}
					if status[u.Unit] != "unchanged" {
						continue
					}
					n++
					for _, f := range u.Findings {
						if f.Severity == finding.Error {
							t.Errorf("%s %s %s: apply leaves it unchanged, check reports %s %s", tier, p.Name, u.Unit, f.Tag, f.Detail)
						}
					}
				}
			}
		}
	}
	t.Logf("%d unchanged units checked", n)
	if n < 50 {
		t.Errorf("only %d unchanged units", n)
	}
}
