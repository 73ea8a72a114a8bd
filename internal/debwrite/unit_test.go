package debwrite

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/debtest"
)

func TestDpkgCompare(t *testing.T) {
	// dpkg-deb -b of a tree with these paths lists them in this order
	// (checked with dpkg-deb 1.21.22): per directory, by strcmp.
	want := []string{"/", "/a", "/a/b", "/a/b/f", "/a-c", "/a-c/g", "/a.txt", "/lib",
		"/lib/systemd/system/foo.service", "/lib/systemd/system/foo.service.d",
		"/lib/systemd/system/foo.service.d/10-systemd-harden.conf", "/lib/systemd/system/foo@.service"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, dpkgCompare)
	if !slices.Equal(got, want) {
		t.Errorf("order\n%v\nwant\n%v", got, want)
	}
}

func TestEditMD5sums(t *testing.T) {
	old := "11111111111111111111111111111111  lib/systemd/system/a.service\n" +
		"22222222222222222222222222222222  lib/systemd/system/foo.service\n" +
		"33333333333333333333333333333333  usr/sbin/food\n"
	lines := map[string]string{
		"/lib/systemd/system/foo.service.d/10-systemd-harden.conf": md5Line("/lib/systemd/system/foo.service.d/10-systemd-harden.conf", []byte("x")),
		"/lib/systemd/system/a.service":                            md5Line("/lib/systemd/system/a.service", []byte("new")),
		"/zz/last":                                                 md5Line("/zz/last", nil),
		"/aa/first":                                                md5Line("/aa/first", nil),
	}
	got := string(editMD5sums([]byte(old), lines))
	want := "d41d8cd98f00b204e9800998ecf8427e  aa/first\n" +
		"22af645d1859cb5ca6da0c484f1f37ea  lib/systemd/system/a.service\n" +
		"22222222222222222222222222222222  lib/systemd/system/foo.service\n" +
		"9dd4e461268c8034f5c8564e155c67a6  lib/systemd/system/foo.service.d/10-systemd-harden.conf\n" +
		"33333333333333333333333333333333  usr/sbin/food\n" +
		"d41d8cd98f00b204e9800998ecf8427e  zz/last\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// md5sum's escaping of a backslash, and reading it back.
	l := md5Line(`/lib/systemd/system/dev-disk-by\x2dlabel.swap.d/10-systemd-harden.conf`, nil)
	if want := `\d41d8cd98f00b204e9800998ecf8427e  lib/systemd/system/dev-disk-by\\x2dlabel.swap.d/10-systemd-harden.conf` + "\n"; l != want {
		t.Errorf("escaped line %q, want %q", l, want)
	}
	if p := md5Path(l); p != `/lib/systemd/system/dev-disk-by\x2dlabel.swap.d/10-systemd-harden.conf` {
		t.Errorf("md5Path %q", p)
	}
}

func TestEditControl(t *testing.T) {
	ctl := "Package: foo\nVersion: 1:2.0-3\nArchitecture: amd64\nMaintainer: M <m@example.org>\nInstalled-Size: 100\nDepends: a,\n b\nDescription: x\n y\n"
	c, err := parseControl([]byte(ctl))
	if err != nil {
		t.Fatal(err)
	}
	vp, err := planVersion(c, false, "+harden1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := editControl([]byte(ctl), vp, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "Package: foo\nSource: foo (1:2.0-3)\nVersion: 1:2.0-3+harden1\nArchitecture: amd64\nMaintainer: M <m@example.org>\nInstalled-Size: 103\nDepends: a,\n b\nDescription: x\n y\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Already suffixed: nothing to do.
	c, _ = parseControl([]byte(want))
	if vp, _ := planVersion(c, false, "+harden1"); vp.newVersion != vp.oldVersion || vp.source != "" {
		t.Errorf("re-run plan %+v", vp)
	}
	// Without Installed-Size, none is added.
	noSize := strings.Replace(ctl, "Installed-Size: 100\n", "", 1)
	got, _ = editControl([]byte(noSize), versionPlan{oldVersion: "1", newVersion: "1"}, 5)
	if string(got) != noSize {
		t.Errorf("Installed-Size invented:\n%s", got)
	}
	for _, bad := range []string{"Package: foo\nno colon here\n", "Package: a\nPackage: b\n"} {
		if _, err := parseControl([]byte(bad)); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestGNUHeaderReadsBack(t *testing.T) {
	long := "./lib/systemd/system/" + strings.Repeat("x", 120) + ".service.d/10-systemd-harden.conf"
	for _, name := range []string{"./etc/x", long, "./" + strings.Repeat("y", 98)} {
		raw, err := renderFile(name, 0o640, 1234567890, []byte("data"))
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(bytes.NewReader(append(raw, make([]byte, 1024)...)))
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := io.ReadAll(tr)
		if h.Name != name || h.Mode != 0o640 || h.ModTime.Unix() != 1234567890 || h.Uname != "root" || h.Gname != "root" ||
			h.Typeflag != tar.TypeReg || string(b) != "data" || h.Format != tar.FormatGNU {
			t.Errorf("%s: read back %+v %q", name, h, b)
		}
	}
	if _, err := gnuHeader("./x", '0', 0o644, 0, maxOctal11+1); err == nil {
		t.Errorf("mtime overflow accepted")
	}
}

// TestRewriteTarIdentity: with nothing to change, the tar stream comes out
// byte for byte — dpkg-built ones (record-padded) and debtest's (not).
func TestRewriteTarIdentity(t *testing.T) {
	inputs := map[string][]byte{}
	d := debtest.RealisticDeb("foo", "1.0-1")
	tb, err := d.DataTar()
	if err != nil {
		t.Fatal(err)
	}
	inputs["realistic"] = tb
	for _, name := range []string{"cron", "openssh-server", "dbus"} {
		m, _ := filepath.Glob(filepath.Join(realPkgDir, name+"_*.deb"))
		if len(m) > 0 {
			need(t, "dpkg-deb")
			inputs[name] = fsysTar(t, m[0])
			inputs[name+"-control"] = ctrlTar(t, m[0])
		}
	}
	for name, in := range inputs {
		var out bytes.Buffer
		if _, err := rewriteTar(context.Background(), bytes.NewReader(in), &out, tarEdit{trailingLinks: -1}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(out.Bytes(), in) {
			t.Errorf("%s: %d bytes in, %d out, not identical", name, len(in), out.Len())
		}
	}
}

func TestChunker(t *testing.T) {
	var got [][]byte
	w := writerFunc(func(p []byte) (int, error) { got = append(got, slices.Clone(p)); return len(p), nil })
	c := newChunker(w, 4)
	c.Write([]byte("ab"))
	c.Write([]byte("cdefghij"))
	c.Write([]byte("k"))
	c.Flush()
	var s []string
	for _, g := range got {
		s = append(s, string(g))
	}
	if want := []string{"abcd", "efgh", "ijk"}; !slices.Equal(s, want) {
		t.Errorf("chunks %q, want %q", s, want)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCancelled: a cancelled context stops the rewrite and leaves nothing.
func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	in := debtest.RealisticDeb("foo", "1.0-1").Write(t, dir, "in.deb")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Rewrite(ctx, in, filepath.Join(dir, "out.deb"), dropins("foo"), Options{}); err == nil {
		t.Errorf("a cancelled rewrite succeeded")
	}
	if got := listDir(t, dir); len(got) != 1 {
		t.Errorf("left behind: %v", got)
	}
}
