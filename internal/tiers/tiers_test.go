package tiers

import (
	"testing"
	"testing/fstest"
)

func TestEmbeddedTiers(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Names(); len(got) < 2 || got[0] != "baseline" || got[1] != "strict" {
		t.Fatalf("tiers %v", got)
	}
	strict, _ := s.Get("strict")
	keys := map[string]*Directive{}
	for _, d := range strict.Directives {
		if keys[d.Key] != nil {
			t.Errorf("duplicate %s", d.Key)
		}
		keys[d.Key] = d
	}
	// strict builds on baseline: it has baseline's directives, with
	// ProtectSystem replaced by its own stricter value.
	if d := keys["ProtectSystem"]; d == nil || d.Value[0] != "strict" || d.Base == nil || d.Base.Value[0] != "full" {
		t.Errorf("ProtectSystem: %+v", d)
	}
	if keys["ProtectKernelTunables"] == nil || keys["ProtectKernelTunables"].Tier != "baseline" {
		t.Error("baseline directive missing from strict")
	}
	if d := keys["SystemCallFilter"]; len(d.Values(false)) != 2 || d.Values(true)[0] != "@system-service" {
		t.Errorf("SystemCallFilter values %q / %q", d.Values(false), d.Values(true))
	}
	if d := keys["CapabilityBoundingSet"]; d.Values(false) == nil || len(d.Values(false)) != 0 {
		t.Errorf("an empty Value-User must be an empty assignment, got %#v", d.Values(false))
	}
}

func TestMalformed(t *testing.T) {
	for name, body := range map[string]string{
		"no tier":     "Directive: X\nValue: 1\nSince: 1\nRationale: r\nRisk: r\n",
		"no since":    "Tier: bad\n\nDirective: X\nValue: 1\nRationale: r\nRisk: r\n",
		"no reason":   "Tier: bad\n\nDirective: X\nValue: 1\nSince: 2\nRationale: r\n",
		"unknown key": "Tier: bad\n\nDirective: X\nValue: 1\nSince: 2\nRationale: r\nRisk: r\nBogus: 1\n",
		"bad base":    "Tier: bad\nBuilds-On: nothere\n",
	} {
		fsys := fstest.MapFS{"t/bad.tier": {Data: []byte(body)}}
		if _, err := LoadFS(fsys, "t"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
