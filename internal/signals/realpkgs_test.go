package signals_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/testcache"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// TestRealPackages evaluates every service unit of the cached real
// Debian packages: no panic, evidence always present, and a summary of
// what fired (go test -v shows it).
func TestRealPackages(t *testing.T) {
	debs := testcache.RealDebs(t)
	examples := map[string][]string{}
	counts := map[string]int{}
	directives := map[string]int{}
	services, withWritable := 0, 0
	var writableLines []string
	for _, deb := range debs {
		p, err := debread.Read(context.Background(), deb, debread.Options{})
		if err != nil {
			t.Errorf("%s: %v", deb, err)
			continue
		}
		l, err := unitload.New(p.Tree, 252)
		if err != nil {
			t.Errorf("%s: %v", deb, err)
			continue
		}
		var all []*unitload.Unit
		for _, typ := range []string{"service", "socket"} {
			for _, n := range l.Names(typ) {
				if u, err := l.Load(n); err == nil && !u.Masked {
					all = append(all, u)
				}
			}
		}
		for _, u := range all {
			if !strings.HasSuffix(u.Requested, ".service") || u.AliasOf != "" {
				continue
			}
			info, _, err := secinfo.Compute(secinfo.Input{ID: u.ID, Path: u.Path, Files: u.Files, Version: 252})
			if err != nil {
				continue
			}
			services++
			r := signals.Evaluate(signals.Input{Pkg: p, Unit: u, Info: info, Units: all})
			for _, n := range r.Names() {
				s := r.Fired[n]
				if len(s.Evidence) == 0 {
					t.Errorf("%s %s: %s fired without evidence", p.Name, u.Requested, n)
				}
				counts[n]++
				examples[n] = append(examples[n], p.Name+"/"+u.Requested)
			}
			if len(r.Writable) > 0 {
				withWritable++
			}
			var ws []string
			for _, w := range r.Writable {
				directives[w.Directive]++
				ws = append(ws, w.Directive+"="+w.Value)
				if w.Evidence.Path == "" || w.Evidence.Text == "" {
					t.Errorf("%s %s: writable %s without evidence", p.Name, u.Requested, w.Path)
				}
			}
			writableLines = append(writableLines, fmt.Sprintf("  %-45s %s", p.Name+"/"+u.Requested, strings.Join(ws, " ")))
			if testing.Verbose() && os.Getenv("SIGNALS_DUMP") != "" {
				for _, n := range r.Names() {
					for _, e := range r.Fired[n].Evidence {
						t.Logf("    %s %s %s: %s", p.Name, u.Requested, n, e)
					}
				}
				for _, w := range r.Writable {
					t.Logf("    %s %s writable %s=%s (%s)", p.Name, u.Requested, w.Directive, w.Value, w.Evidence)
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d packages, %d service units\n", len(debs), services)
	fmt.Fprintf(&b, "%-20s %5s  %s\n", "signal", "units", "examples")
	for _, r := range signals.Rules() {
		ex := examples[r.Name]
		more := ""
		if len(ex) > 5 {
			more = fmt.Sprintf(" (+%d)", len(ex)-5)
			ex = ex[:5]
		}
		fmt.Fprintf(&b, "%-20s %5d  %s%s\n", r.Name, counts[r.Name], strings.Join(ex, ", "), more)
	}
	fmt.Fprintf(&b, "writable paths: %d units with any; by directive:", withWritable)
	var ds []string
	for d := range directives {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	for _, d := range ds {
		fmt.Fprintf(&b, " %s %d", d, directives[d])
	}
	b.WriteString("\n")
	if os.Getenv("SIGNALS_DUMP") != "" {
		b.WriteString(strings.Join(writableLines, "\n"))
	}
	t.Log("\n" + b.String())
}

// TestMailSpoolWritable: a mail transport agent gets /var/mail writable
// (the boot harness found postfix bouncing local mail under
// ProtectSystem=strict without it); other daemons do not.
func TestMailSpoolWritable(t *testing.T) {
	debs := testcache.RealDebs(t)
	for _, c := range []struct {
		pkg, unit string
		want      bool
	}{
		{"postfix", "postfix@.service", true},
		{"redis-server", "redis-server.service", false},
		{"nginx-common", "nginx.service", false},
	} {
		var deb string
		for _, d := range debs {
			if strings.HasPrefix(filepath.Base(d), c.pkg+"_") {
				deb = d
			}
		}
		if deb == "" {
			t.Fatalf("%s not in the real packages", c.pkg)
		}
		p, err := debread.Read(context.Background(), deb, debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		l, err := unitload.New(p.Tree, 252)
		if err != nil {
			t.Fatal(err)
		}
		u, err := l.Load(c.unit)
		if err != nil {
			t.Fatal(err)
		}
		info, _, err := secinfo.Compute(secinfo.Input{ID: u.ID, Path: u.Path, Files: u.Files, Version: 252})
		if err != nil {
			t.Fatal(err)
		}
		r := signals.Evaluate(signals.Input{Pkg: p, Unit: u, Info: info, Units: []*unitload.Unit{u}})
		got := false
		for _, w := range r.Writable {
			if w.Path == "/var/mail" {
				got = true
				if w.Value != "-/var/mail" || !strings.Contains(w.Evidence.Text, "mail-transport-agent") {
					t.Errorf("%s: /var/mail as %s=%s, evidence %+v", c.unit, w.Directive, w.Value, w.Evidence)
				}
			}
		}
		if got != c.want {
			t.Errorf("%s: /var/mail writable = %v, want %v", c.unit, got, c.want)
		}
	}
}
