package plan_test

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
)

func median(xs []uint64) float64 {
	s := append([]uint64(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return float64(s[len(s)/2]) / 10
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 20
}

func mean(xs []uint64) float64 {
	var s uint64
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs)) / 10
}

// TestRealSummary is the tier report `make bench` prints: median and mean
// exposure of every service unit of the real packages before and after
// each tier, beside openSUSE's untested block as the mark to beat.
func TestRealSummary(t *testing.T) {
	debs := testcache.RealDebs(t)
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	suse, err := tiers.LoadFS(os.DirFS("testdata/compare"), ".")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := make([]*pkgmodel.Package, len(debs))
	for i, d := range debs {
		if pkgs[i], err = debread.Read(context.Background(), d, debread.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	type planned struct {
		key           string
		before, after uint64
	}
	plans := map[string][]planned{}
	// Units every tier leaves alone by design (system plumbing, session
	// hosts, maintainers' own sandboxes), judged by the baseline plan's
	// findings, are reported apart too: a second line gives the figures
	// over the units a tier may act on.
	alone := map[string]bool{}
	tierNames := []string{"opensuse", "baseline", "strict", "dynamic-user"}
	for _, tier := range tierNames {
		set := set
		if tier == "opensuse" {
			set = suse
		}
		for _, p := range pkgs {
			pl, err := plan.New(p, set, plan.Options{Tier: tier, Version: 252, ToolVersion: "test"})
			if err != nil {
				t.Fatal(err)
			}
			us, err := pl.Plan(false)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range us {
				if u.Status == "refused" {
					t.Errorf("%s: %s refused: %v", p.Name, u.Unit, u.Findings)
					continue
				}
				key := p.Name + "/" + u.Unit
				if tier == "baseline" && skippedWhole(u) {
					alone[key] = true
				}
				plans[tier] = append(plans[tier], planned{key, u.Before, u.After})
			}
		}
	}
	for _, tier := range tierNames {
		var before, after, beforeActed, afterActed []uint64
		for _, u := range plans[tier] {
			before, after = append(before, u.before), append(after, u.after)
			if !alone[u.key] {
				beforeActed, afterActed = append(beforeActed, u.before), append(afterActed, u.after)
			}
		}
		t.Logf("tier %-9s %d units: median %.1f → %.1f, mean %.2f → %.2f", tier, len(before), median(before), median(after), mean(before), mean(after))
		t.Logf("tier %-9s %d units (without %d early-boot, session-host and maintainer-sandboxed units): median %.1f → %.1f, mean %.2f → %.2f", tier, len(beforeActed), len(alone), median(beforeActed), median(afterActed), mean(beforeActed), mean(afterActed))
	}
}

// skippedWhole reports whether the plan skipped directives because the unit
// is early-boot plumbing, a session host or already sandboxed by its
// maintainers, the signals that rule out (nearly) every directive.
func skippedWhole(u plan.Unit) bool {
	for _, f := range u.Findings {
		if f.Tag == "tier-directive-skipped" && (strings.Contains(f.Detail, ": early-boot (") || strings.Contains(f.Detail, ": session-host (") || strings.Contains(f.Detail, ": maintainer-sandboxed (")) {
			return true
		}
	}
	return false
}
