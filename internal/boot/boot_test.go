package boot

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// These tests need no container; the boot runs live in testdata/boot.

func TestCaseSets(t *testing.T) {
	all := AllCases()
	ids := map[string]bool{}
	for _, c := range all {
		if ids[c.ID()] {
			t.Errorf("duplicate case %s", c.ID())
		}
		ids[c.ID()] = true
		if c.Probe == "" || len(c.Units) == 0 || len(c.Install) == 0 || len(c.Rewrite) == 0 {
			t.Errorf("%s: incomplete case", c.ID())
		}
		if c.Refused && c.Tier != "dynamic-user" {
			t.Errorf("%s: only dynamic-user is expected to be refused", c.ID())
		}
		if c.Refused && c.Unchanged {
			t.Errorf("%s: expected both refused and unchanged", c.ID())
		}
	}
	tiers := map[string]int{}
	for _, c := range SmokeCases() {
		tiers[c.Tier]++
		if c.Refused || c.Unchanged {
			t.Errorf("smoke case %s boots nothing hardened", c.ID())
		}
	}
	for _, tier := range Tiers {
		if tiers[tier] != 1 {
			t.Errorf("smoke set: %d cases for tier %s, want 1", tiers[tier], tier)
		}
	}
	if RootfsKey(Packages()) != RootfsKey(append([]string{}, Packages()...)) {
		t.Error("rootfs key is not stable")
	}
}

func TestRefusal(t *testing.T) {
	c := Case{Tier: "dynamic-user"}
	if ok, _ := refusal(c, []UnitExposure{{Unit: "a.service", Tier: "strict", Findings: []string{"tier-refused"}, Tested: true}}); !ok {
		t.Error("fallback to strict with tier-refused is a refusal")
	}
	if ok, _ := refusal(c, []UnitExposure{{Unit: "a.service", Tier: "strict", Findings: []string{"tier-refused"}}}); ok {
		t.Error("an untested unit's refusal does not count")
	}
	if ok, _ := refusal(Case{Tier: "strict"}, []UnitExposure{{Unit: "a.service", Status: "refused", Tested: true}}); !ok {
		t.Error("status refused is a refusal")
	}
	if ok, _ := refusal(c, []UnitExposure{{Unit: "a.service", Tier: "dynamic-user", Status: "rewritten", Tested: true}}); ok {
		t.Error("a rewritten unit is not refused")
	}
}

func TestSummary(t *testing.T) {
	b, a := 9.6, 7.0
	rs := []Result{
		{ID: "x/baseline", Outcome: "pass", Units: []UnitExposure{{Tested: true, Before: &b, After: &a}}},
		{ID: "y/dynamic-user", Outcome: "refused"},
		{ID: "u/baseline", Outcome: "unchanged", Control: &RunResult{Pass: true}},
		{ID: "z/strict", Outcome: "fail", Error: "probe: no answer", Hardened: &RunResult{Step: "probe", Error: "no answer", Diag: "journal line"}},
		{ID: "w/strict", Outcome: "control-failed", Control: &RunResult{Step: "start"}},
		{ID: "n/baseline/broken", Broken: true, Outcome: "pass", Hardened: &RunResult{Step: "start",
			Diag: "● n.service\n   Active: failed\nNov 28 03:25:28.600004 testct n[1]: cannot open /var/lib/n: Read-only file system\n# /lib/systemd/system/n.service"}},
	}
	var buf bytes.Buffer
	p, f := Summary(&buf, rs)
	out := buf.String()
	if p != 4 || f != 1 {
		t.Errorf("passed %d failed %d, want 4 1", p, f)
	}
	if !strings.HasSuffix(out, "\n4 passed, 1 failed\n") {
		t.Errorf("summary does not end with the count line:\n%s", out)
	}
	for _, want := range []string{"9.6", "7.0", "journal line", "not counted (control failed): w/strict",
		"negative control failed as expected at step start", "cannot open /var/lib/n: Read-only file system"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestPruneRootfs(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"keep", "stale", "busy"} {
		if err := os.MkdirAll(filepath.Join(dir, "rootfs-"+k, "sbin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "rootfs-"+k+".lock"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	busy, err := os.OpenFile(filepath.Join(dir, "rootfs-busy.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if err := syscall.Flock(int(busy.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	pruneRootfs(dir, filepath.Join(dir, "rootfs-keep"), &log)
	for k, want := range map[string]bool{"keep": true, "stale": false, "busy": true} {
		_, err := os.Stat(filepath.Join(dir, "rootfs-"+k))
		if got := err == nil; got != want {
			t.Errorf("rootfs-%s exists = %v, want %v (log: %s)", k, got, want, log.String())
		}
	}
}

// TestEnsureRootfsHoldsLock: a run keeps a shared lock on its root until
// it releases it, so another run's pruning skips that root meanwhile.
func TestEnsureRootfsHoldsLock(t *testing.T) {
	cache := t.TempDir()
	pkgs := []string{"x"}
	dir := filepath.Join(cache, "rootfs-"+RootfsKey(pkgs))
	if err := os.MkdirAll(filepath.Join(dir, "sbin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sbin", "init"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	got, release, err := EnsureRootfs(context.Background(), cache, pkgs, io.Discard)
	if err != nil || got != dir {
		t.Fatalf("EnsureRootfs = %q, %v", got, err)
	}
	pruneRootfs(cache, filepath.Join(cache, "rootfs-other"), io.Discard)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a root in use was pruned: %v", err)
	}
	// A second run of the same list shares it.
	_, release2, err := EnsureRootfs(context.Background(), cache, pkgs, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	release2()
	release()
	pruneRootfs(cache, filepath.Join(cache, "rootfs-other"), io.Discard)
	if _, err := os.Stat(dir); err == nil {
		t.Error("a released root of another list was kept")
	}
}
