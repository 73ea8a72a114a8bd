package debread

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
				t.Fatalf("%s is required", c)
			}
			t.Skipf("%s not installed", c)
		}
	}
}

func write(t *testing.T, p string, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

// stage lays out a small package with the shapes the analysis cares about.
func stage(t *testing.T) string {
	dir := t.TempDir()
	write(t, dir+"/DEBIAN/control", "Package: demo\nVersion: 1:2.0-3\nArchitecture: all\nMaintainer: Nobody <nobody@example.org>\nSource: demo-src (2.0-3)\nDescription: demo\n long description\n", 0o644)
	write(t, dir+"/DEBIAN/conffiles", "/etc/init.d/demo\n/etc/default/demo\n", 0o644)
	write(t, dir+"/DEBIAN/postinst", "#!/bin/sh\nset -e\nadduser --system demo\n", 0o755)
	write(t, dir+"/lib/systemd/system/demo.service", "[Service]\nExecStart=/usr/sbin/demo\nUser=demo\n", 0o644)
	write(t, dir+"/lib/systemd/system/demo@.service", "[Service]\nExecStart=/usr/sbin/demo %i\n", 0o644)
	write(t, dir+"/lib/systemd/system/demo.service.d/override.conf", "[Service]\nPrivateTmp=yes\n", 0o644)
	write(t, dir+"/etc/init.d/demo", "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: demo\n### END INIT INFO\n", 0o755)
	write(t, dir+"/etc/default/demo", "DAEMON_OPTS=\n", 0o644)
	write(t, dir+"/usr/lib/sysusers.d/demo.conf", "u demo - \"demo\"\n", 0o644)
	write(t, dir+"/usr/sbin/demo", "#!/bin/sh\nexec sleep infinity\n", 0o755|os.ModeSetuid)
	write(t, dir+"/usr/share/doc/demo/README", "not kept\n", 0o644)
	if err := os.Symlink("demo.service", dir+"/lib/systemd/system/alias.service"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", dir+"/lib/systemd/system/masked.service"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDpkgDebCompressions builds the same package with dpkg-deb in every
// compression it offers; all must read identically.
func TestDpkgDebCompressions(t *testing.T) {
	need(t, "dpkg-deb")
	dir := stage(t)
	out := t.TempDir()
	var first *pkgmodel.Package
	for _, z := range []string{"gzip", "xz", "zstd", "none"} {
		deb := filepath.Join(out, "demo-"+z+".deb")
		cmd := exec.Command("dpkg-deb", "--root-owner-group", "-Z"+z, "-b", dir, deb)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb -Z%s: %v\n%s", z, err, b)
		}
		for _, m := range []decompress.Method{decompress.Exec, decompress.Go} {
			p, err := Read(context.Background(), deb, Options{XZ: m})
			if err != nil {
				t.Fatalf("%s (%s): %v", z, m, err)
			}
			p.Source = ""
			if first == nil {
				first = p
				check(t, p)
				continue
			}
			if !reflect.DeepEqual(view(p), view(first)) {
				t.Errorf("-Z%s (xz %s) reads differently:\n%v\nvs\n%v", z, m, view(p), view(first))
			}
		}
	}
}

// view is the comparable part of a package: metadata, entries, kept
// contents, scripts.
func view(p *pkgmodel.Package) string {
	s := fmt.Sprintf("%s %s %s %s\n", p.Name, p.Version, p.Arch, p.SourcePackage)
	for _, e := range p.Entries {
		s += fmt.Sprintf("%s %v %v %d:%d %s:%s %d %q kept=%v conf=%v", e.Path, e.Type, e.Mode, e.UID, e.GID, e.Owner, e.Group, e.Size, e.Link, e.Kept, e.Conffile)
		if e.Kept {
			b, _ := p.Tree.ReadFile(e.Path, pkgmodel.MaxKept)
			s += fmt.Sprintf(" %q", b)
		}
		s += "\n"
	}
	for _, sc := range p.Scripts {
		s += fmt.Sprintf("%s %s %q\n", sc.Name, sc.Interpreter, sc.Text)
	}
	return s + fmt.Sprint(p.Conffiles)
}

func check(t *testing.T, p *pkgmodel.Package) {
	t.Helper()
	if p.Name != "demo" || p.Version != "1:2.0-3" || p.Arch != "all" || p.SourcePackage != "demo-src" {
		t.Errorf("metadata %q %q %q %q", p.Name, p.Version, p.Arch, p.SourcePackage)
	}
	byPath := map[string]pkgmodel.Entry{}
	for _, e := range p.Entries {
		byPath[e.Path] = e
	}
	for path, want := range map[string]struct {
		typ  tree.Type
		kept bool
		link string
	}{
		"/lib/systemd/system/demo.service":                 {tree.Regular, true, ""},
		"/lib/systemd/system/demo.service.d/override.conf": {tree.Regular, true, ""},
		"/lib/systemd/system/alias.service":                {tree.Symlink, false, "demo.service"},
		"/lib/systemd/system/masked.service":               {tree.Symlink, false, "/dev/null"},
		"/etc/init.d/demo":                                 {tree.Regular, true, ""},
		"/etc/default/demo":                                {tree.Regular, true, ""},
		"/usr/lib/sysusers.d/demo.conf":                    {tree.Regular, true, ""},
		"/usr/sbin/demo":                                   {tree.Regular, false, ""},
		"/usr/share/doc/demo/README":                       {tree.Regular, false, ""},
		"/usr/share/doc/demo":                              {tree.Dir, false, ""},
	} {
		e, ok := byPath[path]
		if !ok {
			t.Errorf("%s missing", path)
			continue
		}
		if e.Type != want.typ || e.Kept != want.kept || e.Link != want.link {
			t.Errorf("%s: %+v", path, e)
		}
		if e.Owner != "root" || e.UID != 0 {
			t.Errorf("%s: owner %s/%d", path, e.Owner, e.UID)
		}
	}
	if m := byPath["/usr/sbin/demo"].Mode; m&os.ModeSetuid == 0 || m.Perm() != 0o755 {
		t.Errorf("setuid mode lost: %v", m)
	}
	if !byPath["/etc/init.d/demo"].Conffile || byPath["/lib/systemd/system/demo.service"].Conffile {
		t.Error("conffile flags")
	}
	if s, ok := p.Script("postinst"); !ok || s.Interpreter != "/bin/sh" {
		t.Errorf("postinst: %+v", s)
	}
	if _, err := p.Tree.ReadFile("/usr/share/doc/demo/README", 1<<20); err != pkgmodel.ErrNotKept {
		t.Errorf("reading a file whose contents were not kept: %v", err)
	}
	b, err := p.Tree.ReadFile("/lib/systemd/system/demo.service", 1<<20)
	if err != nil || string(b) != "[Service]\nExecStart=/usr/sbin/demo\nUser=demo\n" {
		t.Errorf("unit contents %q, %v", b, err)
	}
}

// FuzzRead: arbitrary bytes never panic the reader, and every error names
// the package first.
func FuzzRead(f *testing.F) {
	f.Add([]byte("!<arch>\n"))
	f.Add([]byte("!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ReadFrom(context.Background(), "fuzz.deb", bytes.NewReader(data), int64(len(data)), Options{XZ: decompress.Go, Budget: 64 << 20})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.deb: ") {
			t.Fatalf("error does not name the package: %v", err)
		}
	})
}
