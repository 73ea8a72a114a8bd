package rpmread

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// payloadDefines are the %_binary_payload values the fixture is built
// with; Debian's rpm 4.18 supports all of them. "none" (w0.ufdio) leaves
// PAYLOADCOMPRESSOR out; lzma is built to check it is refused cleanly.
var payloadDefines = map[string]string{
	"gzip":  "w9.gzdio",
	"xz":    "w6.xzdio",
	"zstd":  "w19.zstdio",
	"bzip2": "w9.bzdio",
	"none":  "w0.ufdio",
	"lzma":  "w2.lzdio",
}

var built struct {
	once sync.Once
	dir  string
	rpms map[string]string // compressor → .rpm path
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// requireTool skips when a tool is missing, unless the project's `make
// test` asked for every oracle (then it fails).
func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
			t.Fatalf("%s is required (SYSTEMD_HARDEN_REQUIRE_ORACLE is set): install Debian's rpm package", name)
		}
		t.Skipf("skipping: %s not found (install Debian's rpm package to run this test)", name)
	}
}

// fixtures builds testdata/rpm/foo.spec once per payload compression.
func fixtures(t testing.TB) map[string]string {
	t.Helper()
	requireTool(t, "rpmbuild")
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "rpmread-test-")
		if built.err != nil {
			return
		}
		spec, err := filepath.Abs("../../testdata/rpm/foo.spec")
		if err != nil {
			built.err = err
			return
		}
		built.rpms = map[string]string{}
		var wg sync.WaitGroup
		var mu sync.Mutex
		for name, define := range payloadDefines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				top := filepath.Join(built.dir, name)
				cmd := exec.Command("rpmbuild", "-bb", "--nodeps",
					"--define", "_topdir "+top,
					"--define", "_sourcedir "+filepath.Join(filepath.Dir(spec), "foo"),
					"--define", "_tmppath "+top,
					"--define", "_binary_payload "+define,
					spec)
				out, err := cmd.CombinedOutput()
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					built.err = fmt.Errorf("rpmbuild with %s: %v\n%s", define, err, out)
					return
				}
				built.rpms[name] = filepath.Join(top, "RPMS", "noarch", "foo-1.4.2-3.noarch.rpm")
			}()
		}
		wg.Wait()
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.rpms
}

func source(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../testdata/rpm/foo", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type wantEntry struct {
	path     string
	typ      tree.Type
	mode     fs.FileMode
	owner    string
	group    string
	uid, gid int
	link     string
	hardLink bool
	kept     bool
	conffile bool
	src      string // the spec source the contents come from
}

func wantEntries() []wantEntry {
	const unit = "/usr/lib/systemd/system/"
	return []wantEntry{
		{path: "/etc/foo.conf", mode: 0o644, owner: "root", group: "root", conffile: true, src: "foo.conf"},
		{path: "/etc/rc.d/init.d/foo", mode: 0o755, owner: "root", group: "root", kept: true, src: "foo.init"},
		{path: "/etc/sysconfig/foo", mode: 0o640, owner: "root", group: "foo", gid: -1, kept: true, conffile: true, src: "foo.sysconfig"},
		{path: "/run/foo", typ: tree.Dir, mode: fs.ModeDir | 0o755, owner: "root", group: "root"},
		{path: unit + "foo-compat.service", mode: 0o644, owner: "root", group: "root", kept: true, src: "foo.service"},
		{path: unit + "foo-daemon.service", typ: tree.Symlink, mode: fs.ModeSymlink | 0o777, owner: "root", group: "root", link: "foo.service"},
		{path: unit + "foo.service", mode: 0o644, owner: "root", group: "root", link: unit + "foo-compat.service", hardLink: true, kept: true, src: "foo.service"},
		{path: unit + "foo.service.d", typ: tree.Dir, mode: fs.ModeDir | 0o755, owner: "root", group: "root"},
		{path: unit + "foo.service.d/00-empty.conf", mode: 0o644, owner: "root", group: "root", kept: true, src: "foo.empty"},
		{path: unit + "foo.service.d/x.conf", mode: 0o644, owner: "root", group: "root", kept: true, src: "x.conf"},
		{path: unit + "foo@.service", mode: 0o644, owner: "root", group: "root", kept: true, src: "foo@.service"},
		{path: "/usr/lib/tmpfiles.d/foo.conf", mode: 0o644, owner: "root", group: "root", kept: true, src: "foo.tmpfiles"},
		{path: "/usr/sbin/foo-helper", mode: fs.ModeSetuid | 0o755, owner: "root", group: "foo", gid: -1, link: "/usr/sbin/food", hardLink: true, src: "food"},
		{path: "/usr/sbin/food", mode: fs.ModeSetuid | 0o755, owner: "root", group: "foo", gid: -1, src: "food"},
		{path: "/var/lib/foo", typ: tree.Dir, mode: fs.ModeDir | 0o750, owner: "foo", group: "foo", uid: -1, gid: -1},
	}
}

type wantScript struct{ name, interp, cond, text string }

var wantScripts = []wantScript{
	{"%pre", "/bin/sh", "", "getent group foo >/dev/null || groupadd -r foo\n" +
		"getent passwd foo >/dev/null || \\\n" +
		"    useradd -r -g foo -d /var/lib/foo -s /sbin/nologin \\\n" +
		"    -c \"Foo daemon\" foo\nexit 0"},
	{"%post", "/bin/sh", "", "if [ $1 -eq 1 ]; then\n" +
		"    systemctl --no-reload preset foo.service >/dev/null 2>&1 || :\nfi"},
	{"%preun", "/bin/sh", "", "if [ $1 -eq 0 ]; then\n" +
		"    systemctl --no-reload disable --now foo.service >/dev/null 2>&1 || :\nfi"},
	{"%postun", "/bin/bash", "", "systemctl try-restart foo.service >/dev/null 2>&1 || :"},
	{"%posttrans", "<lua>", "", `print("foo installed")`},
	{"%triggerin", "/bin/sh", "initscripts, sysvinit < 2.90", "chkconfig --del foo >/dev/null 2>&1 || :"},
	{"%triggerpostun", "/bin/sh", "foo < 1:1.0", "systemctl daemon-reload >/dev/null 2>&1 || :"},
	{"%filetriggerin", "/bin/sh", "/usr/lib/systemd/system", "systemctl daemon-reload >/dev/null 2>&1 || :"},
}

func TestReadBuiltPackages(t *testing.T) {
	rpms := fixtures(t)
	for _, comp := range []string{"gzip", "xz", "zstd", "bzip2", "none"} {
		t.Run(comp, func(t *testing.T) {
			p, err := Read(context.Background(), rpms[comp], Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkFixture(t, p, comp)
		})
	}
}

func checkFixture(t *testing.T, p *pkgmodel.Package, comp string) {
	t.Helper()
	if p.Format != pkgmodel.RPM || p.Name != "foo" || p.Version != "2:1.4.2-3" || p.Arch != "noarch" || p.SourcePackage != "foo-1.4.2-3.src.rpm" {
		t.Errorf("metadata: %q %q %q %q %q", p.Format, p.Name, p.Version, p.Arch, p.SourcePackage)
	}
	if got := p.Control["PayloadCompressor"]; got != strings.TrimSuffix(comp, "none") {
		t.Errorf("PayloadCompressor = %q, want %q", got, comp)
	}
	if got := p.Control["Summary"]; got != "Foo daemon (test fixture)" {
		t.Errorf("Summary = %q", got)
	}
	for _, want := range []string{"shadow-utils", "systemd", "/bin/bash"} {
		if !strings.Contains(", "+p.Control["Requires"]+",", " "+want+",") {
			t.Errorf("Requires = %q, lacks %s", p.Control["Requires"], want)
		}
	}
	if !strings.Contains(p.Control["Provides"], "foo-daemon = 1.4.2-3") {
		t.Errorf("Provides = %q", p.Control["Provides"])
	}

	// Entries: every one, sorted by path (the payload's order is rpm's).
	got := append([]pkgmodel.Entry(nil), p.Entries...)
	sort.Slice(got, func(i, j int) bool { return got[i].Path < got[j].Path })
	want := wantEntries()
	if len(got) != len(want) {
		var paths []string
		for _, e := range got {
			paths = append(paths, e.Path)
		}
		t.Fatalf("%d entries, want %d: %v", len(got), len(want), paths)
	}
	for i, w := range want {
		g := got[i]
		size := int64(0)
		if w.typ == tree.Regular {
			size = int64(len(source(t, w.src)))
		}
		if g.Path != w.path || g.Type != w.typ || g.Mode != w.mode || g.Owner != w.owner || g.Group != w.group ||
			g.UID != w.uid || g.GID != w.gid || g.Link != w.link || g.HardLink != w.hardLink || g.Kept != w.kept ||
			g.Conffile != w.conffile || g.Size != size {
			t.Errorf("entry %s:\n got %+v\nwant %+v (size %d)", w.path, g, w, size)
		}
		switch data, err := p.Tree.ReadFile(w.path, pkgmodel.MaxKept); {
		case w.kept && err != nil:
			t.Errorf("%s: %v", w.path, err)
		case w.kept && string(data) != source(t, w.src):
			t.Errorf("%s: contents %q, want the spec source %s", w.path, data, w.src)
		case !w.kept && w.typ == tree.Regular && !errors.Is(err, pkgmodel.ErrNotKept):
			t.Errorf("%s: reading a file that is not kept gave %v", w.path, err)
		}
	}
	if e, err := p.Tree.Lstat("/usr/lib/systemd/system/foo-daemon.service"); err != nil || e.Type != tree.Symlink || e.Target != "foo.service" {
		t.Errorf("alias in the tree: %+v %v", e, err)
	}
	if _, err := p.Tree.Lstat("/run/foo/foo.pid"); err == nil {
		t.Errorf("the %%ghost file is in the tree")
	}

	if !reflect.DeepEqual(p.Conffiles, []string{"/etc/foo.conf", "/etc/sysconfig/foo"}) {
		t.Errorf("Conffiles = %q", p.Conffiles)
	}
	var scripts []wantScript
	for _, s := range p.Scripts {
		scripts = append(scripts, wantScript{s.Name, s.Interpreter, s.Condition, s.Text})
	}
	if !reflect.DeepEqual(scripts, wantScripts) {
		t.Errorf("scripts:\n got %q\nwant %q", scripts, wantScripts)
	}
}

// comparable strips what legitimately differs between two reads of the
// same package: the file name and the compressor.
func comparable(p *pkgmodel.Package) *pkgmodel.Package {
	c := *p
	c.Source = ""
	c.Control = map[string]string{}
	for k, v := range p.Control {
		if k != "PayloadCompressor" {
			c.Control[k] = v
		}
	}
	return &c
}

func TestPayloadsAgree(t *testing.T) {
	rpms := fixtures(t)
	ctx := context.Background()
	ref, err := Read(ctx, rpms["gzip"], Options{})
	if err != nil {
		t.Fatal(err)
	}
	type variant struct {
		comp string
		xz   decompress.Method
	}
	variants := []variant{{"xz", decompress.Go}, {"zstd", ""}, {"bzip2", ""}, {"none", ""}}
	if _, err := exec.LookPath("xz"); err == nil {
		variants = append(variants, variant{"xz", decompress.Exec})
	} else if os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" {
		t.Fatalf("xz is required (SYSTEMD_HARDEN_REQUIRE_ORACLE is set)")
	} else {
		t.Logf("xz not on PATH: the exec decoder is not compared")
	}
	for _, v := range variants {
		p, err := Read(ctx, rpms[v.comp], Options{XZ: v.xz})
		if err != nil {
			t.Fatalf("%s (%s): %v", v.comp, v.xz, err)
		}
		if !reflect.DeepEqual(comparable(p), comparable(ref)) {
			t.Errorf("%s (xz method %q) differs from gzip:\n%+v\n%+v", v.comp, v.xz, p.Entries, ref.Entries)
		}
	}
}

// TestLZMARefused: Debian's rpm still builds legacy lzma payloads, which
// internal/decompress does not decode.
func TestLZMARefused(t *testing.T) {
	path := fixtures(t)["lzma"]
	_, err := Read(context.Background(), path, Options{})
	if want := path + ": payload: cannot decompress: lzma compression is not supported"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
