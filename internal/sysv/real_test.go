package sysv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
)

func cacheDir() string {
	if d := os.Getenv("SYSTEMD_HARDEN_CACHE"); d != "" {
		return d
	}
	return "/var/cache/systemd-harden-test"
}

// TestRealPackages compares Find on the cached real Debian packages with
// an independent reading of `dpkg-deb -c`: the same executable scripts in
// /etc/init.d, and a unit file of the same name exactly when Find says one
// replaces the script (aliases aside, which the listing cannot show).
func TestRealPackages(t *testing.T) {
	debs, _ := filepath.Glob(filepath.Join(cacheDir(), "realpkgs", "debs", "*.deb"))
	if len(debs) == 0 {
		if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
			t.Fatalf("no packages in %s/realpkgs/debs (run testdata/realpkgs/fetch.sh)", cacheDir())
		}
		t.Skipf("no packages in %s/realpkgs/debs (run testdata/realpkgs/fetch.sh)", cacheDir())
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	sort.Strings(debs)
	var with, without int
	var orphans []string
	for _, deb := range debs {
		out, err := exec.Command("dpkg-deb", "-c", deb).Output()
		if err != nil {
			t.Fatalf("dpkg-deb -c %s: %v", deb, err)
		}
		listed := map[string]bool{}
		var want []string
		for _, l := range strings.Split(string(out), "\n") {
			f := strings.Fields(l)
			if len(f) < 6 {
				continue
			}
			name := strings.TrimPrefix(f[5], ".")
			listed[name] = true
			if filepath.Dir(name) == "/etc/init.d" && (f[0][0] == 'l' || f[0][0] == '-' && strings.ContainsRune(f[0], 'x')) {
				want = append(want, name)
			}
		}
		p, err := debread.Read(context.Background(), deb, debread.Options{})
		if err != nil {
			t.Fatalf("%s: %v", deb, err)
		}
		got, err := Find(p, 252)
		if err != nil {
			t.Fatalf("%s: %v", deb, err)
		}
		var paths []string
		for _, s := range got {
			paths = append(paths, s.Path)
			unitListed := listed["/lib/systemd/system/"+s.Unit] || listed["/usr/lib/systemd/system/"+s.Unit]
			if s.How != "alias" && (s.How != "") != unitListed {
				t.Errorf("%s: %s: replaced=%q, but the listing has the unit: %v", filepath.Base(deb), s.Path, s.How, unitListed)
			}
			if s.How == "" {
				without++
				orphans = append(orphans, s.Path)
			} else {
				with++
			}
		}
		sort.Strings(want)
		if strings.Join(paths, " ") != strings.Join(want, " ") {
			t.Errorf("%s: scripts %v, dpkg-deb -c lists %v", filepath.Base(deb), paths, want)
		}
	}
	t.Logf("%d packages: %d init scripts with a unit, %d without (%v)", len(debs), with, without, orphans)
	if with == 0 {
		t.Error("no init script with a unit in the real packages: the reader lost /etc/init.d")
	}
}
