package plan_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// pkgWith builds an in-memory package from path → contents.
func pkgWith(t *testing.T, files map[string]string) *pkgmodel.Package {
	t.Helper()
	b := pkgmodel.NewBuilder(pkgmodel.Deb, "test.deb")
	for p, c := range files {
		if err := b.Add(pkgmodel.Entry{Path: p, Type: tree.Regular, Mode: 0o644, Owner: "root", Group: "root", Size: int64(len(c))}, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	p := b.Package()
	p.Name, p.Version = "test", "1.0"
	return p
}

func planOne(t *testing.T, set *tiers.Set, tier string, version int, p *pkgmodel.Package) plan.Unit {
	t.Helper()
	pl, err := plan.New(p, set, plan.Options{Tier: tier, Version: version, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	us, err := pl.Plan(false)
	if err != nil || len(us) != 1 {
		t.Fatalf("%v %v", us, err)
	}
	return us[0]
}

// TestVersionGate: a directive newer than the target systemd is not
// emitted (older systemd ignores it and fails open); it is an info finding.
func TestVersionGate(t *testing.T) {
	fsys := fstest.MapFS{"t/new.tier": {Data: []byte("Tier: new\n\n" +
		"Directive: PrivatePIDs\nValue: yes\nSince: 257\nRisk: r\nRationale: r\n\n" +
		"Directive: ProtectKernelLogs\nValue: yes\nSince: 244\nSatisfies: ProtectKernelLogs\nRisk: r\nRationale: r\n")}}
	set, err := tiers.LoadFS(fsys, "t")
	if err != nil {
		t.Fatal(err)
	}
	p := pkgWith(t, map[string]string{"/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n"})
	u := planOne(t, set, "new", 252, p)
	if strings.Contains(string(u.Content), "PrivatePIDs") || !strings.Contains(string(u.Content), "ProtectKernelLogs=yes") {
		t.Errorf("252 drop-in:\n%s", u.Content)
	}
	if len(u.Skipped) != 1 || u.Skipped[0].Signal != "systemd-version" || u.Findings[0].Tag != "tier-directive-unsupported" {
		t.Errorf("skips %+v findings %+v", u.Skipped, u.Findings)
	}
	if u := planOne(t, set, "new", 257, p); !strings.Contains(string(u.Content), "PrivatePIDs=yes") {
		t.Errorf("257 drop-in lacks PrivatePIDs:\n%s", u.Content)
	}
}

// TestExplicitLeftAlone: a setting the packager made, even a weaker one,
// is kept and reported; a stricter one is simply met.
func TestExplicitLeftAlone(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := pkgWith(t, map[string]string{"/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/true\nProtectSystem=no\nProtectHome=yes\n"})
	u := planOne(t, set, "baseline", 252, p)
	if strings.Contains(string(u.Content), "ProtectSystem=") || strings.Contains(string(u.Content), "ProtectHome=") {
		t.Errorf("explicit settings overridden:\n%s", u.Content)
	}
	found := false
	for _, s := range u.Skipped {
		if s.Directive == "ProtectSystem" && s.Signal == "explicit" && s.Evidence.Line == 3 && s.Evidence.Text == "ProtectSystem=no" {
			found = true
		}
		if s.Directive == "ProtectHome" {
			t.Errorf("ProtectHome=yes is stricter than the tier: it is met, not skipped: %+v", s)
		}
	}
	if !found {
		t.Errorf("no explicit skip for ProtectSystem: %+v", u.Skipped)
	}
}

// TestListsNeverWiden: a unit with its own capability and family lists
// keeps them; the tier does not add a second list that would widen them.
func TestListsNeverWiden(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := pkgWith(t, map[string]string{"/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/true\nUser=a\n" +
		"CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nRestrictAddressFamilies=AF_UNIX\nSystemCallFilter=@basic-io\n"})
	u := planOne(t, set, "strict", 252, p)
	for _, k := range []string{"CapabilityBoundingSet", "RestrictAddressFamilies", "SystemCallFilter="} {
		if strings.Contains(string(u.Content), k) {
			t.Errorf("%s added on top of the unit's own list:\n%s", k, u.Content)
		}
	}
	if u.After > u.Before {
		t.Errorf("exposure went up: %d → %d", u.Before, u.After)
	}
}

// TestIdempotent: planning a package that already carries our drop-in
// gives the same drop-in, reported unchanged.
func TestIdempotent(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n"}
	first := planOne(t, set, "strict", 252, pkgWith(t, files))
	if first.Status != "rewritten" {
		t.Fatalf("first run: %s", first.Status)
	}
	files[first.Dropin] = string(first.Content)
	second := planOne(t, set, "strict", 252, pkgWith(t, files))
	if second.Status != "unchanged" || string(second.Content) != string(first.Content) || second.Before != first.Before || second.After != first.After {
		t.Errorf("second run: %s %d→%d\n%s", second.Status, second.Before, second.After, second.Content)
	}
}

// TestConfigDrop: a configuration's drop removes a directive, with the
// reason as the evidence; an unmatched statement is reported by the caller.
func TestConfigDrop(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := pkgWith(t, map[string]string{"/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/true\n"})
	cfg := &plan.Config{
		Drop: []plan.UnitDirective{{Pattern: "*.service", Key: "PrivateDevices", Reason: "talks to a serial port", File: "cfg", Line: 2}},
		Add:  []plan.UnitDirective{{Pattern: "a.service", Key: "ReadWritePaths", Value: "-/var/spool/a", File: "cfg", Line: 3}},
	}
	pl, _ := plan.New(p, set, plan.Options{Tier: "baseline", Version: 252, ToolVersion: "t", Config: cfg})
	us, _ := pl.Plan(false)
	c := string(us[0].Content)
	if strings.Contains(c, "PrivateDevices") || !strings.Contains(c, "ReadWritePaths=-/var/spool/a") {
		t.Errorf("drop-in:\n%s", c)
	}
	if !cfg.Drop[0].Used || !cfg.Add[0].Used {
		t.Error("statements not marked used")
	}
}
