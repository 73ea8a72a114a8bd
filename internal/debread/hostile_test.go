package debread

import (
	"archive/tar"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debtest"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
)

var evilControl = map[string][]byte{"control": []byte("Package: evil\nVersion: 1\nArchitecture: all\nMaintainer: x <x@example.org>\nDescription: x\n")}

func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			out = append(out, p+" "+fi.Mode().String())
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// TestHostile feeds refused packages through the reader: each must fail
// with a one-line error naming the package first and the member, without
// a panic and without writing anything.
func TestHostile(t *testing.T) {
	unit := []byte("[Service]\nExecStart=/bin/true\n")
	cases := []struct {
		name string
		deb  debtest.Deb
		want string // substring after "<path>: "
	}{
		{"dotdot member", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./lib/systemd/system/../../../etc/shadow", Body: unit}}},
			`data.tar.xz: refused: member name "./lib/systemd/system/../../../etc/shadow" has a ".." component`},
		{"absolute member", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "/etc/passwd", Body: unit}}},
			`data.tar.xz: refused: absolute member name "/etc/passwd"`},
		{"member through a shipped symlink", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./lib/", Type: tar.TypeDir},
			{Name: "./lib/systemd", Type: tar.TypeSymlink, Linkname: "/etc"},
			{Name: "./lib/systemd/system/x.service", Body: unit}}},
			`data.tar.xz: refused: member /lib/systemd/system/x.service goes through the symlink /lib/systemd shipped in the same archive`},
		{"hard link to a later member", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./lib/systemd/system/a.service", Type: tar.TypeLink, Linkname: "./lib/systemd/system/b.service"},
			{Name: "./lib/systemd/system/b.service", Body: unit}}},
			`data.tar.xz: refused: hard link /lib/systemd/system/a.service points to ./lib/systemd/system/b.service, which is not an earlier regular member`},
		{"hard link outside", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./x", Type: tar.TypeLink, Linkname: "../../etc/shadow"}}},
			`data.tar.xz: refused: hard link /x: member name "../../etc/shadow" has a ".." component`},
		{"declared size over the budget", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./usr/share/big", Body: []byte("x"), Size: 1 << 40}}},
			`data.tar.xz: ./usr/share/big: declared size 1099511627776 exceeds the remaining size budget of`},
		{"kept file over the limit", debtest.Deb{Control: evilControl, Data: []debtest.Entry{
			{Name: "./lib/systemd/system/big.service", Body: []byte("x"), Size: 5 << 20}}},
			`data.tar.xz: ./lib/systemd/system/big.service: 5242880 bytes, over the 4194304 byte limit for a file the analysis reads`},
		{"corrupt compressed data", debtest.Deb{Control: evilControl, Data: []debtest.Entry{{Name: "./x", Body: unit}},
			CorruptData: func(b []byte) []byte {
				c := append([]byte(nil), b...)
				c[len(c)/2] ^= 0xff
				c[len(c)/2+1] ^= 0xff
				return c
			}},
			`data.tar.xz: corrupt or truncated: xz: `},
		{"truncated package", debtest.Deb{Control: evilControl, Data: []debtest.Entry{{Name: "./x", Body: unit}},
			Mangle: func(b []byte) []byte { return b[:len(b)-40] }},
			`data.tar.xz: truncated: the member is`},
		{"wrong magic", debtest.Deb{Control: evilControl, Mangle: func(b []byte) []byte { return append([]byte("!<arsh>\n"), b[8:]...) }},
			`not a Debian package (no ar archive magic)`},
		{"data before control", debtest.Deb{Control: evilControl, Data: []debtest.Entry{{Name: "./x", Body: unit}},
			MemberOrder: []string{"debian-binary", "data.tar.xz", "control.tar.xz"}},
			`data.tar.xz: data member out of order (control.tar must come first, once)`},
		{"unsupported format version", debtest.Deb{Control: evilControl, DebianBinary: []byte("3.0\n")},
			`debian-binary: unsupported package format version "3.0"`},
		{"gzip data that is not gzip", debtest.Deb{Control: evilControl, DataCompression: "gzip", Data: []debtest.Entry{{Name: "./x", Body: unit}},
			CorruptData: func(b []byte) []byte { return []byte("not gzip at all") }},
			`data.tar.gz: the data is not gzip compressed`},
		{"bad control file", debtest.Deb{Control: map[string][]byte{"control": []byte("Version: 1\n")}},
			`control.tar.xz: control file lacks Package or Version`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := tc.deb.Write(t, dir, "evil.deb")
			before := listing(t, dir)
			data, _ := os.ReadFile(p)
			for _, m := range []decompress.Method{decompress.Exec, decompress.Go} {
				_, err := Read(context.Background(), p, Options{XZ: m, Budget: 1 << 30})
				if err == nil {
					t.Fatalf("%s: accepted", m)
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, p+": ") || strings.Contains(msg, "\n") {
					t.Errorf("%s: error does not start with the package or is not one line: %q", m, msg)
				}
				if !strings.Contains(msg, tc.want) {
					t.Errorf("%s: error %q, want it to contain %q", m, msg, tc.want)
				}
			}
			after := listing(t, dir)
			if strings.Join(before, "\n") != strings.Join(after, "\n") {
				t.Errorf("the directory changed:\n%v\n%v", before, after)
			}
			if again, _ := os.ReadFile(p); string(again) != string(data) {
				t.Error("the package was modified")
			}
		})
	}
}

// TestSymlinkTargetsAreData: absolute alias links and /dev/null masks are
// normal and must work; a symlink pointing out of the root is just data.
func TestSymlinkTargetsAreData(t *testing.T) {
	d := debtest.Deb{Control: evilControl, Data: []debtest.Entry{
		{Name: "./lib/", Type: tar.TypeDir},
		{Name: "./lib/systemd/", Type: tar.TypeDir},
		{Name: "./lib/systemd/system/", Type: tar.TypeDir},
		{Name: "./lib/systemd/system/a.service", Body: []byte("[Service]\nExecStart=/bin/true\n")},
		{Name: "./lib/systemd/system/abs.service", Type: tar.TypeSymlink, Linkname: "/lib/systemd/system/a.service"},
		{Name: "./lib/systemd/system/masked.service", Type: tar.TypeSymlink, Linkname: "/dev/null"},
		{Name: "./lib/systemd/system/out.service", Type: tar.TypeSymlink, Linkname: "../../../../../../etc/shadow"},
		{Name: "./dev/", Type: tar.TypeDir},
		{Name: "./dev/console", Type: tar.TypeChar, Devmajor: 5, Devminor: 1},
	}}
	p := d.Write(t, "", "ok.deb")
	pkg, err := Read(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Entries) != 9 {
		t.Errorf("%d entries", len(pkg.Entries))
	}
}

// TestBzip2AndGzipMembers: data.tar.bz2 (which dpkg-deb reads but no
// longer builds) and gzip control members read like the others.
func TestBzip2AndGzipMembers(t *testing.T) {
	for _, comp := range []string{"bzip2", "gzip", "none", "zstd"} {
		d := debtest.RealisticDeb("foo", "1.0")
		d.DataCompression, d.ControlCompression = comp, "gzip"
		if comp == "bzip2" {
			d.ControlCompression = "none"
		}
		p, err := Read(context.Background(), d.Write(t, "", "foo-"+comp+".deb"), Options{})
		if err != nil {
			t.Fatalf("%s: %v", comp, err)
		}
		b, err := p.Tree.ReadFile("/lib/systemd/system/foo.service", 1<<20)
		if err != nil || !strings.Contains(string(b), "[Service]") {
			t.Errorf("%s: unit %q %v", comp, b, err)
		}
	}
}
