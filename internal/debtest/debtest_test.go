package debtest_test

import (
	"archive/tar"
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pault.ag/go/debian/deb"

	"github.com/systemd-harden/systemd-harden/internal/debtest"
)

var (
	controlCompressions = []string{"gzip", "xz", "zstd", "none"} // what dpkg accepts for control.tar
	dataCompressions    = []string{"gzip", "xz", "zstd", "bzip2", "lzma", "none"}
)

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// TestRealisticDebAcceptedByDpkgDeb runs every combination of compressions
// through dpkg-deb --info, --contents and -x and compares what dpkg-deb
// sees with the entries.
func TestRealisticDebAcceptedByDpkgDeb(t *testing.T) {
	need(t, "dpkg-deb")
	for _, cc := range controlCompressions {
		for _, dc := range dataCompressions {
			t.Run(cc+"/"+dc, func(t *testing.T) {
				if dc == "bzip2" {
					need(t, "bzip2")
				}
				d := debtest.RealisticDeb("foo", "1.2-3")
				d.ControlCompression, d.DataCompression = cc, dc
				path := d.Write(t, "", "foo_1.2-3_amd64.deb")
				checkInfo(t, path, d)
				checkContents(t, path, d)
				checkExtract(t, path, d)
			})
		}
	}
}

func checkInfo(t *testing.T, path string, d debtest.Deb) {
	t.Helper()
	info := run(t, "dpkg-deb", "--info", path)
	for _, want := range []string{"new Debian package, version 2.0.", " Package: foo\n", " Version: 1.2-3\n", " Depends: adduser\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb --info lacks %q:\n%s", want, info)
		}
	}
	for name := range d.Control {
		exec := ""
		if name == "postinst" {
			exec = "*"
		}
		found := false
		for _, line := range strings.Split(info, "\n") {
			f := strings.Fields(line)
			// "     614 bytes,    21 lines   *  postinst             #!/bin/sh"
			if len(f) >= 5 && f[1] == "bytes," && f[3] == "lines" {
				rest := f[4:]
				if exec != "" {
					if rest[0] != "*" {
						continue
					}
					rest = rest[1:]
				}
				if rest[0] == name && f[0] == fmt.Sprint(len(d.Control[name])) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("dpkg-deb --info does not list %s%s with %d bytes:\n%s", exec, name, len(d.Control[name]), info)
		}
	}
}

// tarMode renders a mode as tar -tv does.
func tarMode(typ byte, mode int64) string {
	kind := map[byte]byte{tar.TypeDir: 'd', tar.TypeSymlink: 'l', tar.TypeChar: 'c', tar.TypeBlock: 'b', tar.TypeFifo: 'p'}[typ]
	if kind == 0 {
		kind = '-'
	}
	b := []byte{kind}
	for i, c := range "rwxrwxrwx" {
		if mode&(1<<(8-i)) != 0 {
			b = append(b, byte(c))
		} else {
			b = append(b, '-')
		}
	}
	if mode&0o4000 != 0 {
		b[3] = map[bool]byte{true: 's', false: 'S'}[b[3] == 'x']
	}
	return string(b)
}

func defaultMode(e debtest.Entry) int64 {
	if e.Mode != 0 {
		return e.Mode
	}
	switch e.Type {
	case tar.TypeDir:
		return 0o755
	case tar.TypeSymlink:
		return 0o777
	}
	return 0o644
}

func checkContents(t *testing.T, path string, d debtest.Deb) {
	t.Helper()
	var want []string
	for _, e := range d.Data {
		line := fmt.Sprintf("%s root/root %d 2023-11-14 22:13 %s", tarMode(e.Type, defaultMode(e)), len(e.Body), e.Name)
		if e.Type == tar.TypeSymlink {
			line += " -> " + e.Linkname
		}
		want = append(want, line)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSuffix(run(t, "dpkg-deb", "--contents", path), "\n"), "\n") {
		got = append(got, strings.Join(strings.Fields(line), " "))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("dpkg-deb --contents:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func checkExtract(t *testing.T, path string, d debtest.Deb) {
	t.Helper()
	root := t.TempDir()
	run(t, "dpkg-deb", "-x", path, root)
	seen := map[string]bool{}
	for _, e := range d.Data {
		rel := strings.TrimSuffix(strings.TrimPrefix(e.Name, "./"), "/")
		if rel == "" {
			rel = "."
		}
		seen[rel] = true
		p := filepath.Join(root, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			t.Errorf("extracted tree lacks %s: %v", e.Name, err)
			continue
		}
		perm := int64(fi.Mode().Perm())
		if fi.Mode()&fs.ModeSetuid != 0 {
			perm |= 0o4000
		}
		switch e.Type {
		case tar.TypeDir:
			if !fi.IsDir() {
				t.Errorf("%s: extracted as %v, want a directory", e.Name, fi.Mode())
			}
		case tar.TypeSymlink:
			target, err := os.Readlink(p)
			if err != nil || target != e.Linkname {
				t.Errorf("%s: link target %q, %v; want %q", e.Name, target, err, e.Linkname)
			}
			continue // symlink permissions mean nothing on Linux
		default:
			body, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(body, e.Body) || !fi.Mode().IsRegular() {
				t.Errorf("%s: extracted %v %q, %v; want a regular file %q", e.Name, fi.Mode(), body, err, e.Body)
			}
		}
		if perm != defaultMode(e) && (e.Type != tar.TypeDir || rel != ".") {
			t.Errorf("%s: extracted mode %#o, want %#o", e.Name, perm, defaultMode(e))
		}
	}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if !seen[rel] {
			t.Errorf("dpkg-deb -x produced %s, which is not an entry", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRealisticDebRebuilds has dpkg-deb check the control information the
// way it does when building: conffiles must exist and be regular files,
// maintainer scripts executable, the control file valid. md5sums must
// match the data.
func TestRealisticDebRebuilds(t *testing.T) {
	need(t, "dpkg-deb")
	d := debtest.RealisticDeb("foo", "1.2-3")
	path := d.Write(t, "", "foo.deb")
	tree := filepath.Join(t.TempDir(), "tree")
	run(t, "dpkg-deb", "-R", path, tree)
	out, err := runErr("dpkg-deb", "--root-owner-group", "-b", tree, filepath.Join(t.TempDir(), "re.deb"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "warning") {
		t.Errorf("dpkg-deb -b warned:\n%s", out)
	}
	sums, err := os.ReadFile(filepath.Join(tree, "DEBIAN", "md5sums"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
	if len(lines) < 5 {
		t.Errorf("md5sums has only %d lines", len(lines))
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("md5sums line %q", line)
		}
		if strings.HasPrefix(name, "etc/") {
			t.Errorf("md5sums lists conffile %s", name)
		}
		body, err := os.ReadFile(filepath.Join(tree, name))
		if err != nil || fmt.Sprintf("%x", md5.Sum(body)) != sum {
			t.Errorf("md5sums: %s does not match: %v", name, err)
		}
	}
}

// TestReadByPaultDeb reads every compression back with the library the
// project's .deb source is built on.
func TestReadByPaultDeb(t *testing.T) {
	for i, dc := range dataCompressions {
		t.Run(dc, func(t *testing.T) {
			if dc == "bzip2" {
				need(t, "bzip2")
			}
			d := debtest.RealisticDeb("foo", "1.2-3")
			d.ControlCompression = controlCompressions[i%len(controlCompressions)]
			d.DataCompression = dc
			b, err := d.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			pkg, err := deb.Load(bytes.NewReader(b), "foo.deb")
			if err != nil {
				t.Fatalf("deb.Load: %v", err)
			}
			if pkg.Control.Package != "foo" || pkg.Control.Version.String() != "1.2-3" {
				t.Errorf("control: %q %q", pkg.Control.Package, pkg.Control.Version)
			}
			for _, e := range d.Data {
				h, err := pkg.Data.Next()
				if err != nil {
					t.Fatalf("data.tar before %s: %v", e.Name, err)
				}
				body, err := io.ReadAll(pkg.Data)
				if err != nil {
					t.Fatalf("%s: %v", e.Name, err)
				}
				typ := e.Type
				if typ == 0 {
					typ = tar.TypeReg
				}
				if h.Name != e.Name || h.Typeflag != typ || h.Mode != defaultMode(e) || h.Linkname != e.Linkname ||
					!bytes.Equal(body, e.Body) || h.Uname != "root" || h.ModTime.Unix() != debtest.DefaultMtime {
					t.Errorf("read %q %c %#o %q %q %s, want %q %c %#o %q %q", h.Name, h.Typeflag, h.Mode, h.Linkname, body, h.Uname,
						e.Name, typ, defaultMode(e), e.Linkname, e.Body)
				}
			}
			if h, err := pkg.Data.Next(); err != io.EOF {
				t.Errorf("after the last entry: %v, %v", h, err)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, dc := range dataCompressions {
		if dc == "bzip2" {
			if _, err := exec.LookPath("bzip2"); err != nil {
				continue
			}
		}
		d := debtest.RealisticDeb("foo", "1")
		d.DataCompression, d.ControlCompression = dc, dc
		if dc == "bzip2" || dc == "lzma" { // control.tar.lzma would be a 16-character name
			d.ControlCompression = "gzip"
		}
		a, err := d.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", dc, err)
		}
		b, err := d.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two builds differ", dc)
		}
	}
}

func arMembers(t *testing.T, b []byte) []string {
	t.Helper()
	ar, err := deb.LoadAr(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		e, err := ar.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, e.Name)
	}
}

func TestMembers(t *testing.T) {
	sig := debtest.Member{Name: "_gpgorigin", Data: []byte("-----BEGIN PGP SIGNATURE-----\n")}
	for _, tc := range []struct {
		name string
		deb  debtest.Deb
		want string
	}{
		{"default", debtest.Deb{}, "debian-binary control.tar.xz data.tar.xz"},
		{"compressions", debtest.Deb{ControlCompression: "gzip", DataCompression: "zstd"}, "debian-binary control.tar.gz data.tar.zst"},
		{"uncompressed", debtest.Deb{ControlCompression: "none", DataCompression: "none"}, "debian-binary control.tar data.tar"},
		{"signature", debtest.Deb{ExtraMembers: []debtest.Member{sig}}, "debian-binary control.tar.xz data.tar.xz _gpgorigin"},
		{"reordered", debtest.Deb{ExtraMembers: []debtest.Member{sig},
			MemberOrder: []string{"_gpgorigin", "debian-binary", "data.tar.xz", "data.tar.xz"}},
			"_gpgorigin debian-binary data.tar.xz data.tar.xz"},
	} {
		b, err := tc.deb.Bytes()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := strings.Join(arMembers(t, b), " "); got != tc.want {
			t.Errorf("%s: members %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, bad := range []debtest.Deb{
		{MemberOrder: []string{"data.tar.gz"}},
		{DataCompression: "rar"},
		{ControlCompression: "lz4"},
		{ControlCompression: "lzma"}, // "control.tar.lzma" is over ar's 15 characters
		{ExtraMembers: []debtest.Member{{Name: "much-too-long-member-name"}}},
	} {
		if _, err := bad.Bytes(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

// TestHostile checks the hostile shapes reach a reader as written.
func TestHostile(t *testing.T) {
	huge := int64(1) << 40
	d := debtest.Deb{
		Control:         map[string][]byte{"control": []byte("Package: hostile\nVersion: 1\nArchitecture: all\n")},
		DataCompression: "gzip",
		Data: []debtest.Entry{
			{Name: "./../escape", Body: []byte("x")},
			{Name: "/etc/passwd", Body: []byte("root::0:0::/:/bin/sh\n")},
			{Name: "./dev/console", Type: tar.TypeChar, Devmajor: 5, Devminor: 1, Mode: 0o600},
			{Name: "./hard", Type: tar.TypeLink, Linkname: "./nowhere"},
			{Name: "./lib", Type: tar.TypeSymlink, Linkname: "/etc"},
			{Name: "./lib/systemd/system/x.service", Body: []byte("[Service]\n")},
			{Name: "./" + strings.Repeat("long/", 40) + "name", Body: []byte("gnu long name")},
			{Name: "./huge", Body: []byte("not a terabyte"), Size: huge},
		},
	}
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := deb.Load(bytes.NewReader(b), "hostile.deb")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range d.Data {
		h, err := pkg.Data.Next()
		if err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if h.Name != e.Name || h.Linkname != e.Linkname || h.Devmajor != e.Devmajor || h.Devminor != e.Devminor {
			t.Errorf("entry %d read as %q -> %q (%d,%d)", i, h.Name, h.Linkname, h.Devmajor, h.Devminor)
		}
		if e.Size != 0 {
			if h.Size != e.Size {
				t.Errorf("%s: declared size %d, want %d", e.Name, h.Size, e.Size)
			}
			if _, err := io.Copy(io.Discard, pkg.Data); !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("%s: reading the short body gave %v, want unexpected EOF", e.Name, err)
			}
		}
	}

	// A declared size smaller than the body: the rest is taken for a header.
	smuggled, err := debtest.Tar([]debtest.Entry{{Name: "./inner", Body: []byte("hi")}}, time.Unix(debtest.DefaultMtime, 0))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := debtest.Deb{Data: []debtest.Entry{{Name: "./outer", Body: append(make([]byte, 512), smuggled...), Size: 1}}}.DataTar()
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(tb))
	var names []string
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
	}
	if got := strings.Join(names, " "); got != "./outer ./inner" {
		t.Errorf("smuggled archive reads as %q", got)
	}
}

func TestCorruption(t *testing.T) {
	need(t, "dpkg-deb")
	flip := func(b []byte) []byte {
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0xff
		return b
	}
	d := debtest.RealisticDeb("foo", "1")
	d.CorruptData = flip
	if _, err := runErr("dpkg-deb", "--contents", d.Write(t, "", "corrupt-data.deb")); err == nil {
		t.Error("dpkg-deb --contents accepted a corrupt data.tar.xz")
	}
	d = debtest.RealisticDeb("foo", "1")
	d.Mangle = func(b []byte) []byte { return b[:len(b)-100] }
	if _, err := runErr("dpkg-deb", "--contents", d.Write(t, "", "truncated.deb")); err == nil {
		t.Error("dpkg-deb --contents accepted a truncated package")
	}
	d = debtest.RealisticDeb("foo", "1")
	d.DebianBinary = []byte("3.0\n")
	if _, err := runErr("dpkg-deb", "--info", d.Write(t, "", "v3.deb")); err == nil {
		t.Error("dpkg-deb --info accepted format 3.0")
	}
}
