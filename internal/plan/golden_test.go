package plan_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// goldenUnits are representative real units: plain root daemons, daemons
// with their own user, already-hardened systemd daemons, templates, early
// boot units, MTAs with setuid helpers, a JIT user, a device user.
var goldenUnits = []struct{ pkg, unit string }{
	{"nginx-common", "nginx.service"},
	{"openssh-server", "ssh.service"},
	{"redis-server", "redis-server.service"},
	{"postfix", "postfix@.service"},
	{"cron", "cron.service"},
	{"systemd-timesyncd", "systemd-timesyncd.service"},
	{"systemd", "systemd-logind.service"},
	{"haproxy", "haproxy.service"},
	{"lvm2", "lvm2-monitor.service"},
	{"modemmanager", "ModemManager.service"},
	{"memcached", "memcached.service"},
	{"mariadb-server", "mariadb.service"},
}

func debFor(t *testing.T, pkg string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(testcache.Dir(), "realpkgs", "debs", pkg+"_*.deb"))
	if len(m) != 1 {
		testcache.Missing(t, "no cached .deb for %s", pkg)
	}
	return m[0]
}

// TestGolden pins the drop-in and the plan of each representative unit
// for both tiers (go test ./internal/plan -run Golden -update rewrites).
func TestGolden(t *testing.T) {
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldenUnits {
		p, err := debread.Read(context.Background(), debFor(t, g.pkg), debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tier := range []string{"baseline", "strict"} {
			pl, err := plan.New(p, set, plan.Options{Tier: tier, Version: 252, ToolVersion: "golden", Units: []string{g.unit}})
			if err != nil {
				t.Fatal(err)
			}
			us, err := pl.Plan(false)
			if err != nil || len(us) != 1 {
				t.Fatalf("%s: %v %v", g.unit, us, err)
			}
			u := us[0]
			var b strings.Builder
			fmt.Fprintf(&b, "unit %s (%s %s), tier %s: %s, exposure %d → %d\n", u.Unit, p.Name, p.Version, tier, u.Status, u.Before, u.After)
			fmt.Fprintf(&b, "drop-in %s:\n%s", u.Dropin, u.Content)
			for _, s := range u.Skipped {
				ev, _ := json.Marshal(s.Evidence)
				fmt.Fprintf(&b, "skipped %s: %s %s\n", s.Directive, s.Signal, ev)
			}
			name := filepath.Join("testdata", "golden", fmt.Sprintf("%s.%s.golden", strings.TrimSuffix(g.unit, ".service"), tier))
			if *update {
				os.MkdirAll(filepath.Dir(name), 0o755)
				if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if string(want) != b.String() {
				t.Errorf("%s differs from %s:\n%s", g.unit, name, b.String())
			}
		}
	}
}
