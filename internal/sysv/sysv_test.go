package sysv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/source"
)

func write(t *testing.T, root, p, body string, mode os.FileMode) {
	t.Helper()
	f := filepath.Join(root, p)
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f, mode); err != nil {
		t.Fatal(err)
	}
}

// TestFind covers each way a script is, or is not, replaced by a unit,
// and the files the generator would not read at all.
func TestFind(t *testing.T) {
	root := t.TempDir()
	const svc = "[Service]\nExecStart=/usr/sbin/d\n"
	write(t, root, "etc/init.d/plain", "#!/bin/sh\n", 0o755)
	write(t, root, "usr/lib/systemd/system/plain.service", svc, 0o644)
	write(t, root, "etc/init.d/masked", "#!/bin/sh\n", 0o755)
	if err := os.Symlink("/dev/null", filepath.Join(root, "usr/lib/systemd/system/masked.service")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "etc/init.d/bind9", "#!/bin/sh\n", 0o755)
	write(t, root, "lib/systemd/system/named.service", svc+"[Install]\nAlias=bind9.service\n", 0o644)
	write(t, root, "etc/init.d/orphan", "#!/bin/sh\n", 0o755)
	write(t, root, "etc/rc.d/init.d/rpmstyle.sh", "#!/bin/sh\n", 0o755)
	write(t, root, "usr/lib/systemd/system/rpmstyle.service", svc, 0o644)
	// not scripts: a library, a backup, a hidden file, README
	write(t, root, "etc/rc.d/init.d/functions", "f() { :; }\n", 0o644)
	write(t, root, "etc/init.d/plain.dpkg-old", "#!/bin/sh\n", 0o755)
	write(t, root, "etc/init.d/.depend.boot", "x\n", 0o755)
	write(t, root, "etc/init.d/README", "x\n", 0o755)
	// a script one level down is not in the directory the generator reads
	write(t, root, "etc/init.d/sub/deep", "#!/bin/sh\n", 0o755)

	pkg, err := source.Open(context.Background(), root, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := source.WalkEntries(pkg); err != nil {
		t.Fatal(err)
	}
	got, err := Find(pkg, 252)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, s := range got {
		b.WriteString(s.Path + " " + s.Unit + " " + s.How + " " + s.Replaced + "\n")
	}
	want := `/etc/init.d/bind9 bind9.service alias /lib/systemd/system/named.service
/etc/init.d/masked masked.service masked /usr/lib/systemd/system/masked.service
/etc/init.d/orphan orphan.service  
/etc/init.d/plain plain.service unit /usr/lib/systemd/system/plain.service
/etc/rc.d/init.d/rpmstyle.sh rpmstyle.service unit /usr/lib/systemd/system/rpmstyle.service
`
	if b.String() != want {
		t.Errorf("Find:\n%s\nwant:\n%s", b.String(), want)
	}
	fs := Findings(pkg, got, "baseline")
	var tags []string
	for _, f := range fs {
		tags = append(tags, f.Tag+" "+f.Severity.String()+" "+f.Unit+" "+f.Detail)
	}
	wantTags := []string{
		"sysv-init-script-with-unit info bind9.service /etc/init.d/bind9 (Alias= of /lib/systemd/system/named.service)",
		"sysv-init-script-with-unit info masked.service /etc/init.d/masked (masked by /usr/lib/systemd/system/masked.service)",
		"sysv-init-script-without-unit warning orphan.service /etc/init.d/orphan",
		"sysv-init-script-with-unit info plain.service /etc/init.d/plain (unit /usr/lib/systemd/system/plain.service)",
		"sysv-init-script-with-unit info rpmstyle.service /etc/rc.d/init.d/rpmstyle.sh (unit /usr/lib/systemd/system/rpmstyle.service)",
	}
	if strings.Join(tags, "\n") != strings.Join(wantTags, "\n") {
		t.Errorf("Findings:\n%s\nwant:\n%s", strings.Join(tags, "\n"), strings.Join(wantTags, "\n"))
	}
}

// TestNone: a package without init scripts has no findings and needs no
// unit loading.
func TestNone(t *testing.T) {
	root := t.TempDir()
	write(t, root, "usr/lib/systemd/system/a.service", "[Service]\nExecStart=/x\n", 0o644)
	pkg, err := source.Open(context.Background(), root, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := source.WalkEntries(pkg); err != nil {
		t.Fatal(err)
	}
	got, err := Find(pkg, 252)
	if err != nil || len(got) != 0 {
		t.Fatalf("Find = %v, %v; want none", got, err)
	}
}
