package sysvmigrate

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/sysv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/sysv/golden")

func cacheDir() string {
	if d := os.Getenv("SYSTEMD_HARDEN_CACHE"); d != "" {
		return d
	}
	return "/var/cache/systemd-harden-test"
}

// goldenPackages ship both a unit and an init script (with and without
// an /etc/default file, read by the unit or not, masked, two scripts).
var goldenPackages = []string{"apache2", "bind9", "cron", "dbus", "haproxy", "knot-resolver", "memcached",
	"nginx-common", "openssh-server", "postfix", "redis-server", "samba", "unbound"}

// TestGolden compares the notes of real packages with the golden files,
// Markdown and JSON; -update rewrites them. A second rendering must give
// the same bytes (deterministic output).
func TestGolden(t *testing.T) {
	debs, _ := filepath.Glob(filepath.Join(cacheDir(), "realpkgs", "debs", "*.deb"))
	if len(debs) == 0 {
		if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
			t.Fatalf("no packages in %s/realpkgs/debs", cacheDir())
		}
		t.Skipf("no packages in %s/realpkgs/debs", cacheDir())
	}
	sort.Strings(debs)
	byName := map[string]string{}
	for _, d := range debs {
		name, _, _ := strings.Cut(filepath.Base(d), "_")
		byName[name] = d
	}
	golden := filepath.Join("..", "..", "testdata", "sysv", "golden")
	for _, name := range goldenPackages {
		t.Run(name, func(t *testing.T) {
			deb, ok := byName[name]
			if !ok {
				t.Fatalf("%s is not in the cache", name)
			}
			p, err := debread.Read(context.Background(), deb, debread.Options{})
			if err != nil {
				t.Fatal(err)
			}
			scripts, err := sysv.Find(p, 252)
			if err != nil {
				t.Fatal(err)
			}
			n := NewNote(p, scripts, "")
			if !n.Migratable || len(n.Scripts) == 0 {
				t.Fatalf("%s: migratable %v, %d scripts", name, n.Migratable, len(n.Scripts))
			}
			for _, f := range []struct {
				ext   string
				write func(*bytes.Buffer, []Note) error
			}{
				{".md", func(b *bytes.Buffer, n []Note) error { return WriteMarkdown(b, n) }},
				{".json", func(b *bytes.Buffer, n []Note) error { return WriteJSON(b, n) }},
			} {
				var a, b bytes.Buffer
				if err := f.write(&a, []Note{n}); err != nil {
					t.Fatal(err)
				}
				if err := f.write(&b, []Note{NewNote(p, scripts, "")}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Errorf("%s%s: two renderings differ", name, f.ext)
				}
				file := filepath.Join(golden, name+f.ext)
				if *update {
					if err := os.WriteFile(file, a.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./internal/sysvmigrate -update)", err)
				}
				if !bytes.Equal(a.Bytes(), want) {
					t.Errorf("%s differs from the golden file (go test ./internal/sysvmigrate -run Golden -update, then review the diff):\n%s", file, a.String())
				}
			}
		})
	}
}

// TestNoteRules: the Debian lines follow the recipe; a script without a
// unit makes the note not migratable; an unread /etc/default conffile
// gets its own rm_conffile; the RPM side names the chkconfig scriptlets.
func TestNoteRules(t *testing.T) {
	pkg := &pkgmodel.Package{Format: pkgmodel.Dir, Name: "web"}
	scripts := []sysv.Script{
		{Path: "/etc/init.d/web", Name: "web", Unit: "web.service", Replaced: "/usr/lib/systemd/system/web.service", How: "unit",
			Conffile: true, Default: "/etc/default/web", DefaultConffile: true,
			Calls: []sysv.Call{{Script: "%preun", Line: 2, Tool: "chkconfig", Name: "web", Text: "chkconfig --del web"}}},
	}
	n := NewNote(pkg, scripts, "1.1-1")
	want := []string{"rm_conffile /etc/init.d/web 1.1-1~", "rm_conffile /etc/default/web 1.1-1~"}
	if strings.Join(n.Debian.Maintscript, "\n") != strings.Join(want, "\n") {
		t.Errorf("maintscript %q, want %q", n.Debian.Maintscript, want)
	}
	if !strings.Contains(n.Debian.Postinst, `dpkg --compare-versions "$2" lt-nl "1.1-1~"`) ||
		!strings.Contains(n.Debian.Postinst, "update-rc.d -f web remove >/dev/null || true") {
		t.Errorf("postinst guard:\n%s", n.Debian.Postinst)
	}
	if len(n.RPM.Scriptlets) != 1 || !strings.Contains(n.RPM.Upgrade, "%triggerun -- web < 1.1-1") {
		t.Errorf("rpm: %+v", n.RPM)
	}
	scripts[0].UnitReadsDefault = true
	if n := NewNote(pkg, scripts, "1.1-1"); len(n.Debian.Maintscript) != 1 || n.Scripts[0].Default.Action != "keep" {
		t.Errorf("a default file the unit reads is kept: %+v", n.Debian.Maintscript)
	}
	scripts = append(scripts, sysv.Script{Path: "/etc/init.d/old", Name: "old", Unit: "old.service"})
	n = NewNote(pkg, scripts, "")
	if n.Migratable {
		t.Error("a script without a unit is migratable")
	}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, []Note{n}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "**Not migratable yet**") || strings.Contains(md.String(), "## Debian") {
		t.Errorf("markdown for an unmigratable package:\n%s", md.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, []Note{n}); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"package", "version", "format", "migratable", "scripts", "debian", "rpm"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}
