package plan_test

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/debtest"
	"github.com/systemd-harden/systemd-harden/internal/dynuser"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/plan"
	"github.com/systemd-harden/systemd-harden/internal/source"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
)

const ctl = "Package: demo\nVersion: 1.0\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: demo\n"

// blockerCase is a package that exhibits one blocker class.
type blockerCase struct {
	name    string
	unit    string
	files   map[string]string // path → content (units, policies)
	setuid  string            // a setuid file to ship
	control map[string]string // extra control members (postinst …)
	owned   [2]string         // a file shipped owned by the user: path, owner
	tag     string
	evPath  string // expected evidence path (suffix)
	dirOK   bool   // detectable in a staging directory too
}

var blockerCases = []blockerCase{
	{name: "bus name", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nType=dbus\nBusName=org.example.A\nExecStart=/usr/sbin/a\nUser=a\n"},
		tag: "dynamic-user-dbus-name", evPath: "/lib/systemd/system/a.service", dirOK: true},
	{name: "explicit root", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nExecStart=/usr/sbin/a\nUser=root\n"},
		tag: "dynamic-user-explicit-root", evPath: "/lib/systemd/system/a.service", dirOK: true},
	{name: "identity capabilities", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nExecStart=/usr/sbin/a\nUser=a\nAmbientCapabilities=CAP_SETUID\n"},
		tag: "dynamic-user-capabilities", evPath: "/lib/systemd/system/a.service", dirOK: true},
	{name: "setuid helper", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nExecStart=/usr/sbin/a\nUser=a\n"},
		setuid: "/usr/lib/a/helper", tag: "dynamic-user-setuid-helper", evPath: "/usr/lib/a/helper", dirOK: true},
	{name: "files owned by the user", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nExecStart=/usr/sbin/a\nUser=a\n"},
		control: map[string]string{"postinst": "#!/bin/sh\nadduser --system --group a\n"},
		owned:   [2]string{"/etc/a/secret.key", "a"}, tag: "dynamic-user-owned-files", evPath: "/etc/a/secret.key", dirOK: true},
	{name: "D-Bus policy for the user", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service":         "[Service]\nExecStart=/usr/sbin/a\nUser=a\n",
		"/usr/share/dbus-1/system.d/org.a.conf": "<busconfig>\n  <policy user=\"a\">\n    <allow own=\"org.a\"/>\n  </policy>\n</busconfig>\n"},
		tag: "dynamic-user-dbus-name", evPath: "/usr/share/dbus-1/system.d/org.a.conf", dirOK: true},
	// Two services of one static user but different names would get two
	// dynamic users, each chowning the cache away from the other.
	{name: "directory shared with another service", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service":       "[Service]\nExecStart=/usr/sbin/a\nUser=a\n",
		"/lib/systemd/system/a-clean.service": "[Service]\nType=oneshot\nExecStart=/usr/sbin/a-clean\nUser=a\n"},
		control: map[string]string{"postinst": "#!/bin/sh\nadduser --system --group a\n"},
		owned:   [2]string{"/var/cache/a/index", "a:a"}, tag: "dynamic-user-shared-directory", evPath: "/var/cache/a/index", dirOK: true},
	{name: "shared system account", unit: "a.service", files: map[string]string{
		"/lib/systemd/system/a.service": "[Service]\nExecStart=/usr/sbin/a\nUser=www-data\n"},
		tag: "dynamic-user-shared-account", evPath: "/lib/systemd/system/a.service", dirOK: true},
}

func (c blockerCase) deb(t *testing.T) string {
	d := debtest.Deb{Control: map[string][]byte{"control": []byte(ctl)}}
	for k, v := range c.control {
		d.Control[k] = []byte(v)
	}
	for p, body := range c.files {
		d.Data = append(d.Data, debtest.Entry{Name: "." + p, Body: []byte(body)})
	}
	if c.setuid != "" {
		d.Data = append(d.Data, debtest.Entry{Name: "." + c.setuid, Body: []byte("#!/bin/sh\n"), Mode: 0o4755})
	}
	if c.owned[0] != "" {
		d.Data = append(d.Data, debtest.Entry{Name: "." + c.owned[0], Body: []byte("k"), Mode: 0o600, Uid: 101, Uname: c.owned[1], Gname: c.owned[1], Gid: 101})
	}
	_ = tar.TypeReg
	return d.Write(t, "", "demo.deb")
}

func (c blockerCase) dir(t *testing.T) string {
	root := t.TempDir()
	// A staging tree has no owners: the maintainer script's chown says it.
	if c.owned[0] != "" {
		os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
		os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte(ctl), 0o644)
		os.WriteFile(filepath.Join(root, "DEBIAN", "postinst"), []byte(c.control["postinst"]+"chown "+c.owned[1]+" "+c.owned[0]+"\n"), 0o755)
		os.MkdirAll(filepath.Dir(filepath.Join(root, c.owned[0])), 0o755)
		os.WriteFile(filepath.Join(root, c.owned[0]), []byte("k"), 0o600)
	}
	for p, body := range c.files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(body), 0o644)
	}
	if c.setuid != "" {
		f := filepath.Join(root, c.setuid)
		os.MkdirAll(filepath.Dir(f), 0o755)
		os.WriteFile(f, []byte("#!/bin/sh\n"), 0o755)
		os.Chmod(f, 0o755|os.ModeSetuid)
	}
	return root
}

func dynamicPlan(t *testing.T, p *pkgmodel.Package, unit string, check bool) plan.Unit {
	t.Helper()
	return tierPlan(t, p, "dynamic-user", unit, check)
}

// tierPlan plans one unit of p under tier (check: judge it as it is).
func tierPlan(t *testing.T, p *pkgmodel.Package, tier, unit string, check bool) plan.Unit {
	t.Helper()
	set, err := tiers.Load()
	if err != nil {
		t.Fatal(err)
	}
	pl, err := plan.New(p, set, plan.Options{Tier: tier, Version: 252, ToolVersion: "test", Units: []string{unit}})
	if err != nil {
		t.Fatal(err)
	}
	us, err := pl.Plan(check)
	if err != nil || len(us) != 1 {
		t.Fatalf("%v %v", us, err)
	}
	return us[0]
}

func hasBlocker(u plan.Unit, tag, evSuffix string) bool {
	for _, f := range u.Findings {
		if f.Tag == tag && (strings.HasSuffix(f.Path, evSuffix) || strings.HasSuffix(f.Detail, evSuffix) || strings.Contains(f.Detail, evSuffix+" ")) {
			return true
		}
	}
	return false
}

// TestBlockers: each blocker class, in a built .deb and (where a staging
// tree can show it) a directory, refuses the unit with its tag and
// evidence; the unit still gets the strict tier and a warning.
func TestBlockers(t *testing.T) {
	for _, c := range blockerCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := debread.Read(context.Background(), c.deb(t), debread.Options{})
			if err != nil {
				t.Fatal(err)
			}
			u := dynamicPlan(t, p, c.unit, false)
			if !hasBlocker(u, c.tag, c.evPath) {
				t.Errorf(".deb: no %s with evidence %s: %+v", c.tag, c.evPath, u.Findings)
			}
			if u.Tier != "strict" || !hasBlocker(u, "tier-refused", "") || strings.Contains(string(u.Content), "DynamicUser=") {
				t.Errorf(".deb: refused unit got tier %s:\n%s", u.Tier, u.Content)
			}
			if !c.dirOK {
				return // ownership is package metadata a staging tree does not have
			}
			dp := source.Dir(c.dir(t))
			if err := source.WalkEntries(dp); err != nil {
				t.Fatal(err)
			}
			if u := dynamicPlan(t, dp, c.unit, false); !hasBlocker(u, c.tag, c.evPath) {
				t.Errorf("dir: no %s with evidence %s: %+v", c.tag, c.evPath, u.Findings)
			}
		})
	}
}

// TestConversion: a daemon with adduser in its postinst, a state
// directory it owns and group-readable configuration is converted: a new
// dynamic name (the static one would be silently reused), StateDirectory=,
// SupplementaryGroups=.
func TestConversion(t *testing.T) {
	p := conversionPkg(t)
	u := dynamicPlan(t, p, "a.service", false)
	c := string(u.Content)
	for _, want := range []string{"DynamicUser=yes", "User=a-dyn", "Group=a-dyn", "StateDirectory=a", "SupplementaryGroups=a"} {
		if !strings.Contains(c, "\n"+want+"\n") {
			t.Errorf("missing %s:\n%s", want, c)
		}
	}
	if strings.Contains(c, "ReadWritePaths=-/var/lib/a") {
		t.Errorf("the state directory is granted twice:\n%s", c)
	}
	if u.Tier != "dynamic-user" || u.Status != "rewritten" {
		t.Errorf("tier %s status %s", u.Tier, u.Status)
	}
}

// conversionPkg is a daemon with adduser in its postinst, a state
// directory chowned to it and configuration only its group reads.
func conversionPkg(t *testing.T) *pkgmodel.Package {
	d := debtest.Deb{Control: map[string][]byte{"control": []byte(ctl),
		"postinst": []byte("#!/bin/sh\nset -e\nUSER=a\nadduser --system --group --home /var/lib/a $USER\nchown a:a /var/lib/a\ndpkg-statoverride --update --add root a 640 /etc/a/a.conf\n")}}
	d.Data = []debtest.Entry{
		{Name: "./lib/systemd/system/a.service", Body: []byte("[Service]\nExecStart=/usr/sbin/a\nUser=a\nGroup=a\n")},
		{Name: "./var/lib/a/", Type: tar.TypeDir},
		{Name: "./etc/a/a.conf", Body: []byte("x=1\n")},
	}
	p, err := debread.Read(context.Background(), d.Write(t, "", "a.deb"), debread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLabelled: hand-labelled real units.
func TestLabelled(t *testing.T) {
	for _, l := range []struct {
		pkg, unit string
		converted bool
		blocker   string
		detail    string // a part of the blocker's detail, "" for any
	}{
		{"redis-server", "redis-server.service", true, "", ""},
		{"dbus", "dbus.service", false, "dynamic-user-dbus-name", ""},
		{"postfix", "postfix@.service", false, "dynamic-user-setuid-helper", ""},
		{"openssh-server", "ssh.service", false, "dynamic-user-capabilities", ""},
		{"mariadb-server", "mariadb.service", false, "dynamic-user-owned-files", ""},
		{"systemd-timesyncd", "systemd-timesyncd.service", false, "dynamic-user-dbus-name", ""},
		// Converted, man-db.service built its index below
		// /var/cache/private, where whatis(1) did not find it.
		{"man-db", "man-db.service", false, "dynamic-user-shared-account", "runs as man"},
		// Root daemons that switch to the user their package creates:
		// converted, they failed in the boot harness (haproxy could not
		// bind /run/haproxy-master.sock; unbound could not setpriv nor
		// bind port 53).
		{"haproxy", "haproxy.service", false, "dynamic-user-capabilities", "which no unit runs as"},
		{"unbound", "unbound.service", false, "dynamic-user-capabilities", "which no unit runs as"},
		// A root daemon sharing the user another unit runs as: converted,
		// postgresql@15-main failed in the boot harness ("the cluster is
		// owned by user id 64774 which does not exist") after systemd
		// had chowned /var/lib/postgresql to the transient user.
		{"postgresql-common", "postgresql@.service", false, "dynamic-user-capabilities", "which pg_basebackup@.service runs as"},
		// A directory shared with the package's other services would be
		// chowned to the transient user: NetworkManager would lose its
		// state to NetworkManager-wait-online, apache2 its cache to
		// htcacheclean, kresd its cache to kres-cache-gc.
		{"network-manager", "NetworkManager-wait-online.service", false, "dynamic-user-shared-directory", "NetworkManager.service"},
		{"apache2", "apache-htcacheclean.service", false, "dynamic-user-shared-directory", "apache2.service"},
		{"knot-resolver", "kres-cache-gc.service", false, "dynamic-user-shared-directory", ""},
		// Root administration: tunnels need CAP_NET_ADMIN, scrubs LVM.
		{"wireguard-tools", "wg-quick@.service", false, "dynamic-user-capabilities", "network-configurer"},
		{"e2fsprogs", "e2scrub_all.service", false, "dynamic-user-capabilities", "storage-admin"},
		// logrotate runs every package's postrotate scripts.
		{"logrotate", "logrotate.service", false, "dynamic-user-capabilities", "session-host"},
	} {
		p, err := debread.Read(context.Background(), debFor(t, l.pkg), debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		u := dynamicPlan(t, p, l.unit, false)
		got := strings.Contains(string(u.Content), "DynamicUser=yes")
		if got != l.converted {
			t.Errorf("%s: converted=%v, want %v; findings %+v", l.unit, got, l.converted, u.Findings)
		}
		if l.blocker != "" && !hasBlocker(u, l.blocker, "") {
			t.Errorf("%s: no %s: %+v", l.unit, l.blocker, u.Findings)
		}
		if l.detail != "" && !hasDetail(u, l.blocker, l.detail) {
			t.Errorf("%s: no %s saying %q: %+v", l.unit, l.blocker, l.detail, u.Findings)
		}
	}
}

func hasDetail(u plan.Unit, tag, part string) bool {
	for _, f := range u.Findings {
		if f.Tag == tag && strings.Contains(f.Detail, part) {
			return true
		}
	}
	return false
}

// TestNotesGolden pins the migration notes of real-world-shaped cases.
func TestNotesGolden(t *testing.T) {
	type nc struct{ name, pkg, unit string }
	cases := []nc{
		{"redis-group-config", "redis-server", "redis-server.service"},
		{"dbus-bus-name", "dbus", "dbus.service"},
		{"mariadb-owned-files", "mariadb-server", "mariadb.service"},
		{"man-db-clean", "man-db", "man-db.service"},
		{"postgresql-oneshot", "postgresql-common", "postgresql.service"},
	}
	cases = append(cases, nc{"adduser-state-dir", "", "a.service"})
	for _, c := range cases {
		var p *pkgmodel.Package
		if c.pkg == "" {
			p = conversionPkg(t)
		} else {
			var err error
			if p, err = debread.Read(context.Background(), debFor(t, c.pkg), debread.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		u := dynamicPlan(t, p, c.unit, false)
		if u.Dynamic == nil {
			t.Fatalf("%s: no analysis", c.unit)
		}
		var md, js bytes.Buffer
		n := []dynuser.Note{dynuser.NewNote(p.Name, p.Version, string(p.Format), u.Dynamic)}
		if err := dynuser.WriteMarkdown(&md, n); err != nil {
			t.Fatal(err)
		}
		if err := dynuser.WriteJSON(&js, n); err != nil {
			t.Fatal(err)
		}
		for ext, got := range map[string][]byte{".md": md.Bytes(), ".json": js.Bytes()} {
			name := filepath.Join("testdata", "notes", c.name+ext)
			if *update {
				os.MkdirAll(filepath.Dir(name), 0o755)
				os.WriteFile(name, got, 0o644)
				continue
			}
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(want, got) {
				t.Errorf("%s differs:\n%s", name, got)
			}
		}
	}
}
