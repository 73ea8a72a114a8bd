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
	"github.com/systemd-harden/systemd-harden/internal/testcache"
)

// realDebs returns the cached real packages, skipping (or failing when the
// oracle tests are required) when there are none or dpkg-deb is missing.
func realDebs(t *testing.T) []string {
	t.Helper()
	debs := testcache.RealDebs(t)
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		testcache.Missing(t, "dpkg-deb not installed")
	}
	return debs
}

// TestRealPackages compares Find on the cached real Debian packages with
// an independent reading of `dpkg-deb -c`: the same executable scripts in
// /etc/init.d, and a unit file of the same name exactly when Find says one
// replaces the script (aliases aside, which the listing cannot show).
func TestRealPackages(t *testing.T) {
	debs := realDebs(t)
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
			if s.How != "alias" && s.How != "provides" && (s.How != "") != unitListed {
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

// TestRealDetail checks the detection details on the real packages that
// ship both a unit and an init script against independent readings with
// dpkg-deb: the Provides line of the script as extracted, the conffiles
// control member, the /etc/default file in the listing, and the number of
// update-rc.d/invoke-rc.d lines naming the script in the maintainer
// scripts (counted with a plain substring search).
func TestRealDetail(t *testing.T) {
	debs := realDebs(t)
	var both, withDefault, unitReads, calls int
	for _, deb := range debs {
		p, err := debread.Read(context.Background(), deb, debread.Options{})
		if err != nil {
			t.Fatalf("%s: %v", deb, err)
		}
		got, err := Find(p, 252)
		if err != nil {
			t.Fatalf("%s: %v", deb, err)
		}
		if len(got) == 0 {
			continue
		}
		conffiles, _ := exec.Command("dpkg-deb", "--info", deb, "conffiles").Output()
		listing, err := exec.Command("dpkg-deb", "-c", deb).Output()
		if err != nil {
			t.Fatal(err)
		}
		tmp := t.TempDir()
		if err := exec.Command("dpkg-deb", "-x", deb, tmp).Run(); err != nil {
			t.Fatalf("dpkg-deb -x %s: %v", deb, err)
		}
		var maint strings.Builder
		for _, m := range []string{"preinst", "postinst", "prerm", "postrm"} {
			out, _ := exec.Command("dpkg-deb", "--info", deb, m).Output()
			maint.Write(out)
		}
		for _, s := range got {
			name := filepath.Base(deb) + ": " + s.Path
			if s.How != "" {
				both++
			}
			if want := strings.Contains(string(conffiles), s.Path+"\n"); s.Conffile != want {
				t.Errorf("%s: Conffile %v, conffiles member says %v", name, s.Conffile, want)
			}
			text, err := os.ReadFile(filepath.Join(tmp, s.Path))
			if err != nil {
				t.Fatal(err)
			}
			var provides string
			for _, l := range strings.Split(string(text), "\n") {
				if strings.HasPrefix(l, "# Provides:") {
					provides = strings.Join(strings.Fields(strings.TrimPrefix(l, "# Provides:")), " ")
					break
				}
			}
			if got := strings.Join(s.LSB.Provides, " "); got != provides {
				t.Errorf("%s: Provides %q, the script says %q", name, got, provides)
			}
			if len(s.LSB.Problems) != 0 {
				t.Errorf("%s: LSB problems %v", name, s.LSB.Problems)
			}
			def := "/etc/default/" + s.Name
			if want := strings.Contains(string(listing), "."+def+"\n"); (s.Default == def) != want {
				t.Errorf("%s: Default %q, listing has %s: %v", name, s.Default, def, want)
			}
			if s.Default != "" {
				withDefault++
			}
			if s.UnitReadsDefault {
				unitReads++
			}
			want := 0
			for _, l := range strings.Split(maint.String(), "\n") {
				l = strings.TrimSpace(l)
				// Comments and messages that quote a command are not calls.
				if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "echo ") {
					continue
				}
				for _, tool := range []string{"update-rc.d ", "invoke-rc.d "} {
					if i := strings.Index(l, tool); i >= 0 && strings.Contains(" "+l[i:]+" ", " "+s.Name+" ") {
						want++
						break
					}
				}
			}
			var n int
			for _, c := range s.Calls {
				if c.Tool == "update-rc.d" || c.Tool == "invoke-rc.d" {
					n++
				}
			}
			if n != want {
				t.Errorf("%s: %d update-rc.d/invoke-rc.d calls, a substring search finds %d", name, n, want)
			}
			calls += len(s.Calls)
		}
	}
	t.Logf("%d init scripts with a unit; %d ship /etc/default/<name>, %d of those read by the unit; %d maintainer script calls", both, withDefault, unitReads, calls)
	if both < 10 {
		t.Errorf("only %d real init scripts with a unit; the acceptance needs at least 10", both)
	}
}
