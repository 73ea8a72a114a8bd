package debwrite

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/debtest"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

const testEpoch = int64(1700000000)

func epochPtr(n int64) *int64 { return &n }

// dropins are the files apply would add to RealisticDeb(pkg): one into
// the drop-in directory the package already ships, one into a directory
// that must be created (the template's).
func dropins(pkg string) []File {
	conf := func(tier string) []byte {
		return []byte("# Written by systemd-harden (tier " + tier + "); override with a same-name file in /etc.\n[Service]\nProtectSystem=full\nProtectHome=read-only\n")
	}
	return []File{
		{Path: "/lib/systemd/system/" + pkg + ".service.d/10-systemd-harden.conf", Mode: 0o644, Data: conf("baseline")},
		{Path: "/lib/systemd/system/" + pkg + "@.service.d/10-systemd-harden.conf", Mode: 0o644, Data: conf("baseline")},
	}
}

// realDropins returns a drop-in for every regular .service a real package
// ships in a vendor unit directory.
func realDropins(t *testing.T, deb string) []File {
	t.Helper()
	p, err := debread.Read(context.Background(), deb, debread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, e := range p.Entries {
		dir, unit := filepath.Split(e.Path)
		if e.Type != tree.Regular || !strings.HasSuffix(unit, ".service") ||
			(dir != "/lib/systemd/system/" && dir != "/usr/lib/systemd/system/") {
			continue
		}
		files = append(files, File{Path: e.Path + ".d/10-systemd-harden.conf", Mode: 0o644,
			Data: []byte("[Service]\n# " + unit + "\nProtectSystem=full\n")})
	}
	if len(files) == 0 {
		t.Fatalf("%s ships no .service", deb)
	}
	return files
}

func rewrite(t *testing.T, in, out string, files []File, opt Options) string {
	t.Helper()
	v, err := Rewrite(context.Background(), in, out, files, opt)
	if err != nil {
		t.Fatalf("Rewrite: %v", err)
	}
	return v
}

// checkOutput runs the checks every rewritten package must pass: dpkg-deb
// accepts it, the files are there with their contents and modes, the
// md5sums inside match the extracted files, every original entry and
// control member is still there byte for byte, and nothing else changed.
func checkOutput(t *testing.T, in, out string, files []File) {
	t.Helper()
	run(t, "", nil, "dpkg-deb", "--info", out)
	run(t, "", nil, "dpkg-deb", "--contents", out)

	// Same members, same order (signatures aside).
	var wantMembers []string
	for _, m := range arMembers(t, in) {
		if !strings.HasPrefix(m, "_") {
			wantMembers = append(wantMembers, m)
		}
	}
	if got := arMembers(t, out); !slices.Equal(got, wantMembers) {
		t.Errorf("members %v, want %v", got, wantMembers)
	}

	// Extracted with dpkg-deb: the files, their contents and modes.
	x := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-x", out, x)
	for _, f := range files {
		st, err := os.Lstat(filepath.Join(x, f.Path))
		if err != nil {
			t.Errorf("%s not extracted: %v", f.Path, err)
			continue
		}
		if got, want := fmtMode(st.Mode()), fmtMode(os.FileMode(f.Mode)); !st.Mode().IsRegular() || got != want {
			t.Errorf("%s: mode %v, want regular %s", f.Path, st.Mode(), want)
		}
		if b, _ := os.ReadFile(filepath.Join(x, f.Path)); !bytes.Equal(b, f.Data) {
			t.Errorf("%s: contents %q, want %q", f.Path, b, f.Data)
		}
	}
	// The md5sums inside match what dpkg-deb extracted.
	ctl := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-e", out, ctl)
	if _, err := os.Stat(filepath.Join(ctl, "md5sums")); err == nil {
		run(t, x, nil, "md5sum", "-c", "--quiet", filepath.Join(ctl, "md5sums"))
		sums, _ := os.ReadFile(filepath.Join(ctl, "md5sums"))
		paths := func(b []byte) []string {
			var p []string
			for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				p = append(p, md5Path(l))
			}
			return p
		}
		if slices.IsSorted(paths(tarFile(t, ctrlTar(t, in), "./md5sums"))) && !slices.IsSorted(paths(sums)) {
			t.Errorf("md5sums no longer sorted:\n%s", sums)
		}
		for _, f := range files {
			if !bytes.Contains(sums, []byte("  "+strings.TrimPrefix(f.Path, "/")+"\n")) {
				t.Errorf("md5sums has no line for %s", f.Path)
			}
		}
	}

	// data.tar: every input entry, in order and byte for byte (replaced
	// ones aside); the extra entries are the new files and their parents.
	inEnt, inTrail := rawEntries(t, fsysTar(t, in))
	outEnt, outTrail := rawEntries(t, fsysTar(t, out))
	added := map[string]bool{}
	for _, f := range files {
		added["."+f.Path] = true
	}
	j := 0
	for _, e := range inEnt {
		for j < len(outEnt) && outEnt[j].name != e.name {
			name := outEnt[j].name
			if !added[name] && !strings.HasSuffix(name, "/") {
				t.Errorf("unexpected entry %s in the output", name)
			}
			j++
		}
		if j == len(outEnt) {
			t.Fatalf("input entry %s missing from the output (or out of order)", e.name)
		}
		if !added[e.name] && (!bytes.Equal(e.hdr, outEnt[j].hdr) || !bytes.Equal(e.data, outEnt[j].data)) {
			t.Errorf("entry %s changed", e.name)
		}
		j++
	}
	if (len(inTrail)+len(concat(inEnt)))%recordSize == 0 != ((len(outTrail)+len(concat(outEnt)))%recordSize == 0) {
		t.Errorf("record padding not kept: input trailer %d bytes, output %d", len(inTrail), len(outTrail))
	}
	if len(outTrail) < 2*blockSize || !bytes.Equal(outTrail, make([]byte, len(outTrail))) {
		t.Errorf("output trailer is not zero blocks (%d bytes)", len(outTrail))
	}

	// control.tar: members other than control and md5sums unchanged; the
	// control file changed only in Version, Source and Installed-Size.
	ic, _ := rawEntries(t, ctrlTar(t, in))
	oc, _ := rawEntries(t, ctrlTar(t, out))
	if !slices.Equal(entryNames(ic), entryNames(oc)) {
		t.Errorf("control members %v, want %v", entryNames(oc), entryNames(ic))
	} else {
		for i := range ic {
			if ic[i].name == "./control" || ic[i].name == "./md5sums" {
				continue
			}
			if !bytes.Equal(ic[i].hdr, oc[i].hdr) || !bytes.Equal(ic[i].data, oc[i].data) {
				t.Errorf("control member %s changed", ic[i].name)
			}
		}
	}
	diff := lineDiff(string(tarFile(t, ctrlTar(t, in), "./control")), string(tarFile(t, ctrlTar(t, out), "./control")))
	for _, l := range diff {
		if !strings.HasPrefix(l, "Version: ") && !strings.HasPrefix(l, "Source: ") && !strings.HasPrefix(l, "Installed-Size: ") {
			t.Errorf("control line changed: %q", l)
		}
	}
}

func concat(es []rawEntry) []byte {
	var b []byte
	for _, e := range es {
		b = append(b, e.hdr...)
		b = append(b, e.data...)
	}
	return b
}

// lineDiff returns the lines of a and b that the other lacks.
func lineDiff(a, b string) []string {
	as, bs := strings.Split(a, "\n"), strings.Split(b, "\n")
	var d []string
	for _, l := range as {
		if !slices.Contains(bs, l) {
			d = append(d, l)
		}
	}
	for _, l := range bs {
		if !slices.Contains(as, l) {
			d = append(d, l)
		}
	}
	return d
}

var compressions = []string{"xz", "gzip", "zstd", "none"}

// TestRewriteCompressions rewrites RealisticDeb in every compression dpkg
// reads and checks the result with dpkg-deb.
func TestRewriteCompressions(t *testing.T) {
	need(t, "dpkg-deb", "ar", "md5sum")
	for _, z := range compressions {
		t.Run(z, func(t *testing.T) {
			d := debtest.RealisticDeb("foo", "1.0-1")
			d.DataCompression, d.ControlCompression = z, z
			dir := t.TempDir()
			in := d.Write(t, dir, "foo_1.0-1_amd64.deb")
			before := fileHash(t, in)
			out := filepath.Join(dir, "foo_1.0-1+harden1_amd64.deb")
			files := dropins("foo")
			v := rewrite(t, in, out, files, Options{SourceDateEpoch: epochPtr(testEpoch)})
			if v != "1.0-1+harden1" {
				t.Errorf("version %q", v)
			}
			if fileHash(t, in) != before {
				t.Errorf("the input changed")
			}
			checkOutput(t, in, out, files)
			if got := controlField(t, out, "Version"); got != "1.0-1+harden1" {
				t.Errorf("Version: %q", got)
			}
			if got := controlField(t, out, "Source"); got != "foo (1.0-1)" {
				t.Errorf("Source: %q", got)
			}
			// The new dir and file entries get the epoch.
			tr := tar.NewReader(bytes.NewReader(fsysTar(t, out)))
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				if strings.Contains(h.Name, "foo@.service.d") && h.ModTime.Unix() != testEpoch {
					t.Errorf("%s: mtime %d, want %d", h.Name, h.ModTime.Unix(), testEpoch)
				}
			}
			if left := listDir(t, dir); len(left) != 2 {
				t.Errorf("directory holds %v, want the input and the output only", left)
			}
		})
	}
}

// TestInstalledSizeMatchesDpkgGencontrol asks dpkg-gencontrol for the
// Installed-Size of the input and the output trees. RealisticDeb's field
// is not what dpkg-gencontrol would write (it leaves out DEBIAN/), so the
// change is compared; for a real package the field itself is.
func TestInstalledSizeMatchesDpkgGencontrol(t *testing.T) {
	need(t, "dpkg-deb", "dpkg-gencontrol")
	dir := t.TempDir()
	in := debtest.RealisticDeb("foo", "1.0-1").Write(t, dir, "in.deb")
	out := filepath.Join(dir, "out.deb")
	rewrite(t, in, out, dropins("foo"), Options{SourceDateEpoch: epochPtr(testEpoch)})
	field := func(deb string) int64 {
		var n int64
		fmt.Sscan(controlField(t, deb, "Installed-Size"), &n)
		return n
	}
	if got, want := field(out)-field(in), gencontrolInstalledSize(t, out)-gencontrolInstalledSize(t, in); got != want {
		t.Errorf("Installed-Size moved by %d, dpkg-gencontrol says %d", got, want)
	}

	for _, name := range []string{"cron", "dbus"} {
		t.Run(name, func(t *testing.T) {
			in := realDeb(t, name)
			out := filepath.Join(t.TempDir(), "out.deb")
			rewrite(t, in, out, realDropins(t, in), Options{})
			if got, want := field(in), gencontrolInstalledSize(t, in); got != want {
				t.Fatalf("input Installed-Size %d, dpkg-gencontrol says %d: the oracle is off", got, want)
			}
			if got, want := field(out), gencontrolInstalledSize(t, out); got != want {
				t.Errorf("Installed-Size %d, dpkg-gencontrol says %d", got, want)
			}
		})
	}
}

// TestNewEntriesMatchDpkgDeb rebuilds the rewritten tree with dpkg-deb
// and compares: the entry order must be dpkg-deb's, and our new entries'
// headers (long names included) byte-identical to the ones its tar wrote.
// RealisticDeb interleaves its symlinks with the other entries where
// dpkg-deb puts them last, so there the symlinks are left out of the
// order comparison; the real package is compared whole.
func TestNewEntriesMatchDpkgDeb(t *testing.T) {
	need(t, "dpkg-deb", "md5sum", "ar")
	long := "a-unit-name-long-enough-that-the-drop-in-path-needs-a-gnu-long-name-entry-in-tar"
	t.Run("realistic", func(t *testing.T) {
		files := append(dropins("foo"),
			File{Path: "/lib/systemd/system/" + long + ".service.d/10-systemd-harden.conf", Mode: 0o640, Data: []byte("[Service]\n")},
			File{Path: "/usr/lib/systemd/system/foo-new.service.d/10-systemd-harden.conf", Data: []byte("[Service]\nPrivateTmp=yes\n")},
			File{Path: "/zzz/last.conf", Data: []byte("sorts after every shipped entry\n")},
		)
		in := debtest.RealisticDeb("foo", "1.0-1").Write(t, t.TempDir(), "in.deb")
		compareWithDpkgDeb(t, in, files, true)
	})
	t.Run("real", func(t *testing.T) {
		in := realDeb(t, "systemd-timesyncd")
		files := append(realDropins(t, in),
			File{Path: "/lib/systemd/system/" + long + ".service.d/10-systemd-harden.conf", Data: []byte("[Service]\n")},
			File{Path: "/zzz/last.conf", Data: []byte("sorts after every shipped entry\n")})
		compareWithDpkgDeb(t, in, files, false)
	})
}

func compareWithDpkgDeb(t *testing.T, in string, files []File, skipLinks bool) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.deb")
	rewrite(t, in, out, files, Options{SourceDateEpoch: epochPtr(testEpoch)})
	for i := range files {
		if files[i].Mode == 0 {
			files[i].Mode = 0o644 // what Rewrite made of it
		}
	}
	checkOutput(t, in, out, files)

	root := filepath.Join(dir, "root")
	run(t, "", nil, "dpkg-deb", "-R", out, root)
	rebuilt := filepath.Join(dir, "rebuilt.deb")
	run(t, "", []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", testEpoch)}, "dpkg-deb", "--root-owner-group", "-Znone", "-b", root, rebuilt)
	ours, _ := rawEntries(t, fsysTar(t, out))
	theirs, _ := rawEntries(t, fsysTar(t, rebuilt))
	names := func(es []rawEntry) []string {
		var n []string
		for _, e := range es {
			if skipLinks && e.hdr[len(e.hdr)-blockSize+offTypeflag] == tar.TypeSymlink {
				continue
			}
			n = append(n, e.name)
		}
		return n
	}
	if !slices.Equal(names(ours), names(theirs)) {
		t.Fatalf("entry order differs from dpkg-deb's:\nours   %v\ntheirs %v", names(ours), names(theirs))
	}
	byName := map[string]rawEntry{}
	for _, e := range theirs {
		byName[e.name] = e
	}
	in0, _ := rawEntries(t, fsysTar(t, in))
	old := map[string]bool{}
	for _, e := range in0 {
		old[e.name] = true
	}
	n := 0
	for _, e := range ours {
		if old[e.name] {
			continue
		}
		n++
		if !bytes.Equal(e.hdr, byName[e.name].hdr) {
			t.Errorf("%s: header differs from dpkg-deb's\nours   %q\ntheirs %q", e.name, e.hdr, byName[e.name].hdr)
		}
	}
	t.Logf("%d new entries compared with dpkg-deb's", n)
}

// TestReproducible: the same input and options give the same bytes, in
// this process and in one limited to a single CPU.
func TestReproducible(t *testing.T) {
	for _, z := range compressions {
		t.Run(z, func(t *testing.T) {
			d := debtest.RealisticDeb("foo", "1.0-1")
			d.DataCompression, d.ControlCompression = z, z
			// Several compressor blocks' worth, so block splitting and
			// any concurrency in the encoders would show.
			d.Data = append(d.Data, debtest.Entry{Name: "./usr/share/foo/big", Body: pseudoText(3 << 20)})
			dir := t.TempDir()
			in := d.Write(t, dir, "in.deb")
			t.Setenv("SOURCE_DATE_EPOCH", "")
			a, b, c := filepath.Join(dir, "a.deb"), filepath.Join(dir, "b.deb"), filepath.Join(dir, "c.deb")
			rewrite(t, in, a, dropins("foo"), Options{})
			rewrite(t, in, b, dropins("foo"), Options{})
			if fileHash(t, a) != fileHash(t, b) {
				t.Errorf("two runs differ")
			}
			if runtime.GOMAXPROCS(0) == 1 {
				t.Logf("GOMAXPROCS is already 1; the subprocess run compares like with like")
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRewrite$", "-test.count=1")
			cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "DEBWRITE_HELPER_IN="+in, "DEBWRITE_HELPER_OUT="+c)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("helper: %v\n%s", err, b)
			}
			if fileHash(t, a) != fileHash(t, c) {
				t.Errorf("GOMAXPROCS=1 run differs from the default (%d)", runtime.GOMAXPROCS(0))
			}
		})
	}
}

// pseudoText is n bytes of deterministic, moderately compressible text.
func pseudoText(n int) []byte {
	var b bytes.Buffer
	x := uint32(1)
	for b.Len() < n {
		x = x*1664525 + 1013904223
		fmt.Fprintf(&b, "line %d value %08x %s\n", b.Len(), x, strings.Repeat("ab", int(x%7)))
	}
	return b.Bytes()[:n]
}

// TestHelperRewrite is run by TestReproducible in a child process.
func TestHelperRewrite(t *testing.T) {
	in := os.Getenv("DEBWRITE_HELPER_IN")
	if in == "" {
		t.Skip("helper for TestReproducible")
	}
	if runtime.GOMAXPROCS(0) != 1 {
		t.Fatalf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
	}
	rewrite(t, in, os.Getenv("DEBWRITE_HELPER_OUT"), dropins("foo"), Options{})
}

// TestDefaultEpoch: without SourceDateEpoch and $SOURCE_DATE_EPOCH, new
// entries get the newest mtime of data.tar; $SOURCE_DATE_EPOCH wins over
// that, the option over both.
func TestDefaultEpoch(t *testing.T) {
	d := debtest.RealisticDeb("foo", "1.0-1")
	newest := time.Unix(testEpoch+5000, 0)
	d.Data[3].ModTime = newest
	dir := t.TempDir()
	in := d.Write(t, dir, "in.deb")
	for _, c := range []struct {
		env  string
		opt  *int64
		want int64
	}{
		{"", nil, newest.Unix()},
		{"1600000000", nil, 1600000000},
		{"1600000000", epochPtr(1500000000), 1500000000},
	} {
		t.Setenv("SOURCE_DATE_EPOCH", c.env)
		out := filepath.Join(dir, "out.deb")
		rewrite(t, in, out, dropins("foo"), Options{SourceDateEpoch: c.opt})
		p := readTar(t, out)
		if got := p["./lib/systemd/system/foo@.service.d/10-systemd-harden.conf"].ModTime.Unix(); got != c.want {
			t.Errorf("env %q opt %v: mtime %d, want %d", c.env, c.opt, got, c.want)
		}
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := Rewrite(context.Background(), in, filepath.Join(dir, "bad.deb"), dropins("foo"), Options{}); err == nil {
		t.Errorf("a malformed $SOURCE_DATE_EPOCH was accepted")
	}
}

// readTar returns data.tar's headers by name, read in-process (no dpkg).
func readTar(t *testing.T, deb string) map[string]*tar.Header {
	t.Helper()
	f, err := os.Open(deb)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := listMembers(f, false)
	if err != nil {
		t.Fatal(err)
	}
	format, _ := decompress.FromSuffix(m.data.Name)
	hs, err := withMember(context.Background(), m.data, format, decompress.Auto, func(r io.Reader) (map[string]*tar.Header, error) {
		out := map[string]*tar.Header{}
		tr := tar.NewReader(r)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return out, nil
			}
			if err != nil {
				return nil, err
			}
			out[h.Name] = h
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// TestIdempotentAndReplace: rewriting a rewritten package with the same
// files gives the same bytes; with changed contents it replaces our
// drop-in in place, keeps the version, and moves md5sums and
// Installed-Size accordingly.
func TestIdempotentAndReplace(t *testing.T) {
	need(t, "dpkg-deb", "md5sum", "ar")
	dir := t.TempDir()
	in := debtest.RealisticDeb("foo", "1.0-1").Write(t, dir, "in.deb")
	one := filepath.Join(dir, "one.deb")
	files := dropins("foo")
	rewrite(t, in, one, files, Options{SourceDateEpoch: epochPtr(testEpoch)})

	two := filepath.Join(dir, "two.deb")
	if v := rewrite(t, one, two, files, Options{SourceDateEpoch: epochPtr(testEpoch + 99)}); v != "1.0-1+harden1" {
		t.Errorf("re-run version %q", v)
	}
	if fileHash(t, one) != fileHash(t, two) {
		t.Errorf("re-running with the same files changed the package")
	}

	changed := dropins("foo")
	changed[0].Data = bytes.Repeat([]byte("# a stricter tier, long enough to need two KiB\n"), 50)
	changed[1].Mode = 0o600
	three := filepath.Join(dir, "three.deb")
	if v := rewrite(t, one, three, changed, Options{SourceDateEpoch: epochPtr(testEpoch)}); v != "1.0-1+harden1" {
		t.Errorf("re-run version %q", v)
	}
	checkOutput(t, one, three, changed)
	a, _ := rawEntries(t, fsysTar(t, one))
	b, _ := rawEntries(t, fsysTar(t, three))
	if !slices.Equal(entryNames(a), entryNames(b)) {
		t.Errorf("replacing changed the entry list:\n%v\n%v", entryNames(a), entryNames(b))
	}
	var s1, s3 int64
	fmt.Sscan(controlField(t, one, "Installed-Size"), &s1)
	fmt.Sscan(controlField(t, three, "Installed-Size"), &s3)
	// The first drop-in grew from 1 KiB to 3 KiB; the second's mode does
	// not count.
	if want := s1 - ceilKiB(int64(len(files[0].Data))) + ceilKiB(int64(len(changed[0].Data))); s3 != want || s3 != s1+2 {
		t.Errorf("Installed-Size %d, want %d", s3, want)
	}
	if got := controlField(t, three, "Source"); got != "foo (1.0-1)" {
		t.Errorf("Source: %q", got)
	}
}

// TestKeepVersionAndSource covers the version rules: KeepVersion, a
// custom suffix, a binNMU's existing "Source: src (version)".
func TestKeepVersionAndSource(t *testing.T) {
	dir := t.TempDir()
	d := debtest.RealisticDeb("foo", "1:2.0-3+b1")
	d.Control["control"] = bytes.Replace(d.Control["control"], []byte("Version:"), []byte("Source: foo-src (1:2.0-3)\nVersion:"), 1)
	in := d.Write(t, dir, "in.deb")
	for _, c := range []struct {
		opt             Options
		version, source string
	}{
		{Options{}, "1:2.0-3+b1+harden1", "foo-src (1:2.0-3)"},
		{Options{Suffix: "~sh2"}, "1:2.0-3+b1~sh2", "foo-src (1:2.0-3)"},
		{Options{KeepVersion: true}, "1:2.0-3+b1", "foo-src (1:2.0-3)"},
	} {
		out := filepath.Join(dir, "out.deb")
		c.opt.SourceDateEpoch = epochPtr(testEpoch)
		v := rewrite(t, in, out, dropins("foo"), c.opt)
		p, err := debread.Read(context.Background(), out, debread.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v != c.version || p.Version != c.version || p.Control["Source"] != c.source {
			t.Errorf("%+v: version %q/%q source %q, want %q %q", c.opt, v, p.Version, p.Control["Source"], c.version, c.source)
		}
	}
	for _, bad := range []string{"-harden", "1:x", "+hä"} {
		if _, err := Rewrite(context.Background(), in, filepath.Join(dir, "bad.deb"), dropins("foo"), Options{Suffix: bad}); err == nil {
			t.Errorf("suffix %q accepted", bad)
		}
	}
}

// refuse checks that Rewrite fails with a *pkgmodel.Error naming the
// input and that the output directory is as it was.
func refuse(t *testing.T, in, out string, files []File, opt Options, wantMsg string) {
	t.Helper()
	dir := filepath.Dir(out)
	before := listDir(t, dir)
	_, err := Rewrite(context.Background(), in, out, files, opt)
	if err == nil {
		t.Fatalf("accepted; want a refusal mentioning %q", wantMsg)
	}
	var pe *pkgmodel.Error
	if !errors.As(err, &pe) {
		t.Errorf("error %T %v is not a *pkgmodel.Error", err, err)
	}
	t.Logf("%v", err)
	if !strings.Contains(err.Error(), wantMsg) {
		t.Errorf("error %q does not mention %q", err, wantMsg)
	}
	if after := listDir(t, dir); !slices.Equal(before, after) {
		t.Errorf("output directory changed: %v → %v", before, after)
	}
}

func TestRefusals(t *testing.T) {
	base := func() debtest.Deb { return debtest.RealisticDeb("foo", "1.0-1") }
	write := func(t *testing.T, d debtest.Deb) (in, out string) {
		in = d.Write(t, t.TempDir(), "in.deb")
		return in, filepath.Join(t.TempDir(), "out.deb")
	}
	opt := Options{SourceDateEpoch: epochPtr(testEpoch)}

	t.Run("signed", func(t *testing.T) {
		d := base()
		d.ExtraMembers = []debtest.Member{{Name: "_gpgorigin", Data: []byte("-----BEGIN PGP SIGNATURE-----\n")}}
		in, out := write(t, d)
		refuse(t, in, out, dropins("foo"), opt, "signed")
		o := opt
		o.StripSignatures = true
		rewrite(t, in, out, dropins("foo"), o)
		if _, err := exec.LookPath("ar"); err == nil {
			if m := arMembers(t, out); slices.Contains(m, "_gpgorigin") {
				t.Errorf("signature kept: %v", m)
			}
		}
	})
	for _, z := range []string{"bzip2", "lzma"} {
		t.Run(z, func(t *testing.T) {
			if z == "bzip2" {
				if _, err := exec.LookPath("bzip2"); err != nil {
					t.Skip("bzip2 not installed")
				}
			}
			d := base()
			d.DataCompression = z
			in, out := write(t, d)
			refuse(t, in, out, dropins("foo"), opt, z)
		})
	}
	t.Run("hostile member name", func(t *testing.T) {
		d := base()
		d.Data = append(d.Data, debtest.Entry{Name: "./../../etc/cron.d/evil", Body: []byte("* * * * * root id\n")})
		in, out := write(t, d)
		refuse(t, in, out, dropins("foo"), opt, "..")
	})
	t.Run("member through a shipped symlink", func(t *testing.T) {
		d := base()
		d.Data = append(d.Data,
			debtest.Entry{Name: "./etc/link", Type: tar.TypeSymlink, Linkname: "/root"},
			debtest.Entry{Name: "./etc/link/.ssh/authorized_keys", Body: []byte("ssh-ed25519 AAAA\n")})
		in, out := write(t, d)
		refuse(t, in, out, dropins("foo"), opt, "symlink")
	})
	t.Run("truncated", func(t *testing.T) {
		d := base()
		d.Mangle = func(b []byte) []byte { return b[:len(b)-100] }
		in, out := write(t, d)
		refuse(t, in, out, dropins("foo"), opt, "in.deb")
	})
	t.Run("drop-in through a shipped symlink", func(t *testing.T) {
		d := base()
		d.Data = append(d.Data, debtest.Entry{Name: "./lib/systemd/system/bar.service.d", Type: tar.TypeSymlink, Linkname: "foo.service.d"})
		in, out := write(t, d)
		refuse(t, in, out, []File{{Path: "/lib/systemd/system/bar.service.d/10-systemd-harden.conf", Data: []byte("x")}}, opt, "goes through the symlink /lib/systemd/system/bar.service.d")
	})
	in, out := write(t, base())
	for _, c := range []struct {
		name string
		file File
		msg  string
	}{
		{"relative", File{Path: "lib/x.conf"}, "not an absolute path"},
		{"dotdot", File{Path: "/lib/systemd/../../etc/x"}, `".." component`},
		{"unclean", File{Path: "/lib//x"}, "not a clean path"},
		{"dir", File{Path: "/lib/systemd/system/"}, "not a clean path"},
		{"root", File{Path: "/"}, "not a clean path"},
		{"newline", File{Path: "/lib/x\ny"}, "control character"},
		{"onto a symlink", File{Path: "/lib/systemd/system/foo-alias.service"}, "ships it as a symlink"},
		{"onto a directory", File{Path: "/lib/systemd/system/foo.service.d"}, "directory"},
		{"below a file", File{Path: "/usr/sbin/food/x.conf"}, "not a directory"},
		{"setuid", File{Path: "/lib/x.conf", Mode: 0o4755}, "not a permission mode"},
		{"too big", File{Path: "/lib/x.conf", Data: make([]byte, pkgmodel.MaxKept+1)}, "limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			refuse(t, in, out, []File{c.file}, opt, c.msg)
		})
	}
	t.Run("twice", func(t *testing.T) {
		refuse(t, in, out, []File{{Path: "/lib/x.conf"}, {Path: "/lib/x.conf"}}, opt, "given twice")
	})
	t.Run("output is input", func(t *testing.T) {
		_, err := Rewrite(context.Background(), in, in, dropins("foo"), opt)
		if err == nil || !strings.Contains(err.Error(), "the output is the input") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("hard link target", func(t *testing.T) {
		d := base()
		d.Data = append(d.Data, debtest.Entry{Name: "./usr/sbin/food-link", Type: tar.TypeLink, Linkname: "./usr/sbin/food"})
		in, out := write(t, d)
		refuse(t, in, out, []File{{Path: "/usr/sbin/food", Data: []byte("x")}}, opt, "hard-links")
	})
}

// TestDpkgUnpackVerify installs the output with dpkg itself (unpack only,
// into a scratch root: RealisticDeb has no preinst, so no maintainer
// script runs) and has `dpkg --verify` check every file against the
// md5sums dpkg recorded from the package.
func TestDpkgUnpackVerify(t *testing.T) {
	need(t, "dpkg")
	for _, z := range compressions {
		t.Run(z, func(t *testing.T) {
			d := debtest.RealisticDeb("foo", "1.0-1")
			d.DataCompression, d.ControlCompression = z, z
			dir := t.TempDir()
			in := d.Write(t, dir, "in.deb")
			out := filepath.Join(dir, "out.deb")
			rewrite(t, in, out, dropins("foo"), Options{SourceDateEpoch: epochPtr(testEpoch)})
			root := filepath.Join(dir, "root")
			for _, p := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates"} {
				if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(root, "var/lib/dpkg/status"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			run(t, "", nil, "dpkg", "--root="+root, "--force-not-root", "--force-depends", "--no-triggers", "--unpack", out)
			for _, f := range dropins("foo") {
				if b, err := os.ReadFile(filepath.Join(root, f.Path)); err != nil || !bytes.Equal(b, f.Data) {
					t.Errorf("%s after dpkg --unpack: %q %v", f.Path, b, err)
				}
			}
			// Unpacked conffiles wait as .dpkg-new until configure, so
			// dpkg reports them missing ("c"); anything else is a mismatch.
			for _, l := range strings.Split(string(run(t, "", nil, "dpkg", "--root="+root, "--verify", "foo")), "\n") {
				if l != "" && !strings.HasPrefix(l, "missing   c ") {
					t.Errorf("dpkg --verify: %s", l)
				}
			}
			if got := strings.TrimSpace(string(run(t, "", nil, "dpkg-query", "--root="+root, "-W", "-f=${Version}", "foo"))); got != "1.0-1+harden1" {
				t.Errorf("installed version %q", got)
			}
		})
	}
}

// TestConffileNotInMD5sums: a path listed in conffiles gets no md5sums
// line, as dh_md5sums leaves conffiles out.
func TestConffileNotInMD5sums(t *testing.T) {
	dir := t.TempDir()
	in := debtest.RealisticDeb("foo", "1.0-1").Write(t, dir, "in.deb")
	out := filepath.Join(dir, "out.deb")
	rewrite(t, in, out, []File{{Path: "/etc/default/foo", Data: []byte("FOO_OPTS=\"-v\"\n")}}, Options{SourceDateEpoch: epochPtr(testEpoch)})
	p, err := debread.Read(context.Background(), out, debread.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.Control["control-member:md5sums"], "etc/default/foo") {
		t.Errorf("conffile in md5sums:\n%s", p.Control["control-member:md5sums"])
	}
}

// TestRealPackages rewrites real bookworm packages and runs the dpkg
// checks on them.
func TestRealPackages(t *testing.T) {
	need(t, "dpkg-deb", "md5sum", "ar")
	for _, name := range []string{"cron", "e2fsprogs", "openssh-server", "systemd-timesyncd"} {
		t.Run(name, func(t *testing.T) {
			in := realDeb(t, name)
			before := fileHash(t, in)
			out := filepath.Join(t.TempDir(), "out.deb")
			files := realDropins(t, in)
			v := rewrite(t, in, out, files, Options{})
			if fileHash(t, in) != before {
				t.Errorf("the input changed")
			}
			oldV := controlField(t, in, "Version")
			if v != oldV+"+harden1" {
				t.Errorf("version %q from %q", v, oldV)
			}
			checkOutput(t, in, out, files)
			src := controlField(t, in, "Source")
			if src == "" {
				src = controlField(t, in, "Package")
			}
			if !strings.Contains(src, "(") {
				src += " (" + oldV + ")"
			}
			if got := controlField(t, out, "Source"); got != src {
				t.Errorf("Source %q, want %q", got, src)
			}
		})
	}
}

// TestLintian: lintian reports no error or warning on the output that it
// does not report on the input (lines naming the version or the file are
// compared with those blanked out).
func TestLintian(t *testing.T) {
	need(t, "lintian")
	if testing.Short() {
		t.Skip("lintian is slow")
	}
	check := func(t *testing.T, in string, files []File) {
		out := filepath.Join(t.TempDir(), "out.deb")
		v := rewrite(t, in, out, files, Options{SourceDateEpoch: epochPtr(testEpoch)})
		oldV := controlField(t, in, "Version")
		before := lintianTags(t, in, v, oldV, filepath.Base(in))
		after := lintianTags(t, out, v, oldV, filepath.Base(out))
		for _, l := range after {
			if !slices.Contains(before, l) {
				t.Errorf("new lintian tag: %s", l)
			}
		}
		t.Logf("lintian E/W lines: input %d, output %d", len(before), len(after))
	}
	t.Run("realistic", func(t *testing.T) {
		d := debtest.RealisticDeb("foo", "1.0-1")
		// lintian 2.116's init.d check dies on a postinst that calls
		// update-rc.d without a postrm (InitD.pm line 266), and then
		// skips every later check; give it the postrm debhelper writes.
		d.Control["postrm"] = []byte("#!/bin/sh\nset -e\nif [ \"$1\" = purge ]; then\n\tupdate-rc.d foo remove >/dev/null\nfi\n")
		check(t, d.Write(t, t.TempDir(), "foo_1.0-1_amd64.deb"), dropins("foo"))
	})
	t.Run("cron", func(t *testing.T) {
		in := realDeb(t, "cron")
		check(t, in, realDropins(t, in))
	})
}

// TestInstalledSizeRule checks the rule the rewrite relies on against the
// real packages present: Installed-Size is dpkg-gencontrol's sum over
// data.tar plus DEBIAN/ (1) and its members other than control and
// md5sums.
func TestInstalledSizeRule(t *testing.T) {
	need(t, "dpkg-deb")
	debs, _ := filepath.Glob(filepath.Join(realPkgDir, "*.deb"))
	if len(debs) == 0 {
		if requireOracle() {
			t.Fatalf("no packages in %s", realPkgDir)
		}
		t.Skipf("no packages in %s", realPkgDir)
	}
	if testing.Short() {
		debs = debs[:3]
	}
	sum := func(tarball []byte, skip ...string) int64 {
		var n int64
		tr := tar.NewReader(bytes.NewReader(tarball))
		for {
			h, err := tr.Next()
			if err != nil {
				return n
			}
			switch {
			case slices.Contains(skip, h.Name), h.Typeflag == tar.TypeLink:
			case h.Typeflag == tar.TypeReg:
				n += ceilKiB(h.Size)
			case h.Typeflag == tar.TypeSymlink:
				n += ceilKiB(int64(len(h.Linkname)))
			default:
				n++
			}
		}
	}
	for _, deb := range debs {
		var field int64
		fmt.Sscan(controlField(t, deb, "Installed-Size"), &field)
		got := sum(fsysTar(t, deb)) + sum(ctrlTar(t, deb), "./control", "./md5sums")
		if got != field {
			t.Errorf("%s: Installed-Size %d, rule gives %d", filepath.Base(deb), field, got)
		}
	}
}
