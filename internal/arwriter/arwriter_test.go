package arwriter_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"pault.ag/go/debian/deb"

	"github.com/systemd-harden/systemd-harden/internal/arwriter"
)

const epoch = 1700000000 // 2023-11-14, any fixed SOURCE_DATE_EPOCH

type member struct {
	name  string
	mtime int64
	data  []byte
}

// build writes members with AddBytes and returns the archive.
func build(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := arwriter.New(&buf)
	for _, m := range members {
		if err := w.AddBytes(m.name, m.mtime, m.data); err != nil {
			t.Fatalf("AddBytes(%q): %v", m.name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// readAll reads an archive back with pault.ag/go/debian/deb, the reader the
// project's .deb source uses.
func readAll(t testing.TB, archive []byte) []*deb.ArEntry {
	t.Helper()
	ar, err := deb.LoadAr(bytes.NewReader(archive))
	if err != nil {
		t.Fatalf("LoadAr: %v", err)
	}
	var out []*deb.ArEntry
	for {
		e, err := ar.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next after %d members: %v", len(out), err)
		}
		out = append(out, e)
	}
}

func checkRoundTrip(t testing.TB, archive []byte, members []member) {
	t.Helper()
	got := readAll(t, archive)
	if len(got) != len(members) {
		t.Fatalf("LoadAr read %d members, want %d", len(got), len(members))
	}
	want := int64(len(arwriter.Magic))
	for i, m := range members {
		e := got[i]
		data, err := io.ReadAll(e.Data)
		if err != nil {
			t.Fatalf("member %d: reading data: %v", i, err)
		}
		if e.Name != m.name || e.Timestamp != m.mtime || e.OwnerID != 0 || e.GroupID != 0 ||
			e.FileMode != "100644" || e.Size != int64(len(m.data)) || !bytes.Equal(data, m.data) {
			t.Errorf("member %d = {%q %d %d %d %q %d %q}, want {%q %d 0 0 \"100644\" %d %q}",
				i, e.Name, e.Timestamp, e.OwnerID, e.GroupID, e.FileMode, e.Size, data,
				m.name, m.mtime, len(m.data), m.data)
		}
		want += arwriter.HeaderSize + int64(len(m.data)) + int64(len(m.data)%2)
	}
	if int64(len(archive)) != want {
		t.Errorf("archive is %d bytes, want %d", len(archive), want)
	}
}

func TestHeaderIsDpkgFormat(t *testing.T) {
	h, err := arwriter.Header("debian-binary", epoch, 4)
	if err != nil {
		t.Fatal(err)
	}
	// As written by dpkg-deb 1.21.22 -b with SOURCE_DATE_EPOCH=1700000000.
	want := "debian-binary   1700000000  0     0     100644  4         `\n"
	if string(h) != want {
		t.Errorf("Header =\n%q\nwant\n%q", h, want)
	}
	h, err = arwriter.Header("_gpgorigin12345", arwriter.MaxMtime, arwriter.MaxSize)
	if err != nil {
		t.Fatal(err)
	}
	if want := "_gpgorigin12345 9999999999990     0     100644  9999999999`\n"; string(h) != want {
		t.Errorf("Header at the limits =\n%q\nwant\n%q", h, want)
	}
}

func TestRoundTrip(t *testing.T) {
	members := []member{
		{"debian-binary", epoch, []byte("2.0\n")},
		{"control.tar.xz", epoch, []byte("odd")},
		{"data.tar.xz", epoch + 1, bytes.Repeat([]byte{0, '\n', 0xff}, 1001)},
		{"_gpgorigin", 0, nil},
		{"x", arwriter.MaxMtime, []byte("y")},
	}
	archive := build(t, members...)
	if !strings.HasPrefix(string(archive), arwriter.Magic) {
		t.Fatalf("archive starts %q", archive[:8])
	}
	checkRoundTrip(t, archive, members)
}

func TestEmptyArchive(t *testing.T) {
	if got := build(t); string(got) != arwriter.Magic {
		t.Errorf("empty archive = %q, want %q", got, arwriter.Magic)
	}
}

// TestSmallReads is the regression test for the blakesmith/ar bug this
// package exists to avoid: a member delivered in many odd-sized reads must
// still get exactly one pad byte.
func TestSmallReads(t *testing.T) {
	body := []byte("abcde") // odd: five one-byte reads, five odd writes
	var buf bytes.Buffer
	w := arwriter.New(&buf)
	if err := w.Add("a", epoch, iotest.OneByteReader(bytes.NewReader(body)), int64(len(body))); err != nil {
		t.Fatal(err)
	}
	if err := w.Add("b", epoch, iotest.HalfReader(strings.NewReader("fgh")), 3); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkRoundTrip(t, buf.Bytes(), []member{{"a", epoch, body}, {"b", epoch, []byte("fgh")}})
}

func TestInvalidArgumentsWriteNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mtime int64
		size  int64
		want  error
	}{
		{"", epoch, 0, arwriter.ErrInvalidName},
		{"sixteen-chars-xx", epoch, 0, arwriter.ErrInvalidName},
		{"debian-binary/", epoch, 0, arwriter.ErrInvalidName},
		{"a/b", epoch, 0, arwriter.ErrInvalidName},
		{"a b", epoch, 0, arwriter.ErrInvalidName},
		{"a\tb", epoch, 0, arwriter.ErrInvalidName},
		{"a\nb", epoch, 0, arwriter.ErrInvalidName},
		{"\x7f", epoch, 0, arwriter.ErrInvalidName},
		{"caf\xc3\xa9", epoch, 0, arwriter.ErrInvalidName},
		{"//", epoch, 0, arwriter.ErrInvalidName},
		{"#1/20", epoch, 0, arwriter.ErrInvalidName},
		{"ok", epoch, -1, arwriter.ErrInvalidSize},
		{"ok", epoch, arwriter.MaxSize + 1, arwriter.ErrInvalidSize},
		{"ok", -1, 0, arwriter.ErrInvalidMtime},
		{"ok", arwriter.MaxMtime + 1, 0, arwriter.ErrInvalidMtime},
	} {
		var buf bytes.Buffer
		w := arwriter.New(&buf)
		err := w.Add(tc.name, tc.mtime, strings.NewReader(""), tc.size)
		if !errors.Is(err, tc.want) {
			t.Errorf("Add(%q, %d, size %d) = %v, want %v", tc.name, tc.mtime, tc.size, err, tc.want)
		}
		if buf.Len() != 0 {
			t.Errorf("Add(%q, %d, size %d) wrote %q", tc.name, tc.mtime, tc.size, buf.Bytes())
		}
		// The archive is still usable after a refused member.
		if err := w.AddBytes("good", epoch, []byte("x")); err != nil {
			t.Errorf("AddBytes after refused %q: %v", tc.name, err)
		}
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkRoundTrip(t, buf.Bytes(), []member{{"good", epoch, []byte("x")}})
	}
}

func TestSizeMismatchIsSticky(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
		size int64
	}{
		{"short", "abc", 4},
		{"long", "abcde", 4},
		{"empty-but-declared", "", 1},
		{"declared-empty", "x", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := arwriter.New(&buf)
			err := w.Add("m", epoch, strings.NewReader(tc.body), tc.size)
			if !errors.Is(err, arwriter.ErrSizeMismatch) {
				t.Fatalf("Add = %v, want ErrSizeMismatch", err)
			}
			if err2 := w.AddBytes("next", epoch, nil); !errors.Is(err2, arwriter.ErrSizeMismatch) {
				t.Errorf("Add after mismatch = %v, want the sticky error", err2)
			}
			if err2 := w.Close(); !errors.Is(err2, arwriter.ErrSizeMismatch) {
				t.Errorf("Close after mismatch = %v, want the sticky error", err2)
			}
		})
	}
}

type failWriter struct{ left int }

var errDiskFull = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errDiskFull
	}
	f.left -= len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	// Fail in the magic, the header, the data and the pad byte in turn.
	for _, left := range []int{0, 7, 8, 67, 68, 70, 71} {
		w := arwriter.New(&failWriter{left: left})
		err := w.AddBytes("m", epoch, []byte("abc"))
		if err == nil {
			err = w.Close()
		}
		if !errors.Is(err, errDiskFull) {
			t.Errorf("with %d bytes of room: error %v, want disk full", left, err)
		}
		if err2 := w.Close(); !errors.Is(err2, errDiskFull) {
			t.Errorf("with %d bytes of room: Close = %v, want the sticky error", left, err2)
		}
	}
	r := iotest.ErrReader(errDiskFull)
	if err := arwriter.New(io.Discard).Add("m", epoch, r, 1); !errors.Is(err, errDiskFull) {
		t.Errorf("failing reader: %v", err)
	}
}

func TestAddAfterClose(t *testing.T) {
	w := arwriter.New(io.Discard)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.AddBytes("m", epoch, nil); !errors.Is(err, arwriter.ErrClosed) {
		t.Errorf("Add after Close = %v, want ErrClosed", err)
	}
}

func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
}

func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// TestBinutilsAr checks the real ar(1) lists and prints our members.
func TestBinutilsAr(t *testing.T) {
	need(t, "ar")
	members := []member{
		{"debian-binary", epoch, []byte("2.0\n")},
		{"odd", epoch, []byte("123")},
		{"empty", epoch, nil},
		{"last", epoch, []byte("tail\n")},
	}
	path := filepath.Join(t.TempDir(), "a.ar")
	if err := os.WriteFile(path, build(t, members...), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := string(run(t, "", nil, "ar", "t", path)), "debian-binary\nodd\nempty\nlast\n"; got != want {
		t.Errorf("ar t = %q, want %q", got, want)
	}
	tv := string(run(t, "", []string{"TZ=UTC"}, "ar", "tv", path))
	if want := "rw-r--r-- 0/0      3 Nov 14 22:13 2023 odd\n"; !strings.Contains(tv, want) {
		t.Errorf("ar tv = %q, want a line %q", tv, want)
	}
	for _, m := range members {
		if got := run(t, "", nil, "ar", "p", path, m.name); !bytes.Equal(got, m.data) {
			t.Errorf("ar p %s = %q, want %q", m.name, got, m.data)
		}
	}
}

// TestSameBytesAsDpkgDeb builds packages with dpkg-deb -b, takes their
// members apart with ar x and puts them back together with arwriter: the
// result must be the same file. Contents are varied until members of odd
// size (which need the pad byte) have been seen.
func TestSameBytesAsDpkgDeb(t *testing.T) {
	need(t, "dpkg-deb", "ar")
	sawOdd := false
	for _, z := range []string{"xz", "gzip", "zstd", "none"} {
		for variant := 0; variant < 6; variant++ {
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			writeTree(t, root, variant)
			debPath := filepath.Join(dir, "p.deb")
			run(t, dir, []string{fmt.Sprintf("SOURCE_DATE_EPOCH=%d", epoch+variant)},
				"dpkg-deb", "--root-owner-group", "-Z"+z, "-b", root, debPath)
			orig, err := os.ReadFile(debPath)
			if err != nil {
				t.Fatal(err)
			}
			names := strings.Fields(string(run(t, dir, nil, "ar", "t", debPath)))
			xdir := filepath.Join(dir, "x")
			if err := os.Mkdir(xdir, 0o755); err != nil {
				t.Fatal(err)
			}
			run(t, xdir, nil, "ar", "x", debPath)
			var members []member
			for _, n := range names {
				data, err := os.ReadFile(filepath.Join(xdir, n))
				if err != nil {
					t.Fatal(err)
				}
				sawOdd = sawOdd || len(data)%2 == 1
				members = append(members, member{n, int64(epoch + variant), data})
			}
			if got := build(t, members...); !bytes.Equal(got, orig) {
				t.Errorf("-Z%s variant %d: re-assembled archive differs from dpkg-deb's (%d vs %d bytes)\nours:  %q\ntheirs: %q",
					z, variant, len(got), len(orig), head(got), head(orig))
			}
		}
	}
	if !sawOdd {
		t.Error("no member of odd size was produced; the pad byte went untested")
	}
}

func head(b []byte) []byte {
	return b[:min(len(b), 8+60+4+60)]
}

func writeTree(t *testing.T, root string, variant int) {
	t.Helper()
	files := map[string]string{
		"DEBIAN/control": "Package: arw-test\nVersion: 1.0\nArchitecture: all\n" +
			"Maintainer: Test <test@example.org>\nDescription: arwriter test\n",
		"usr/share/arw-test/file": strings.Repeat("payload ", variant*37+1),
	}
	for i := 0; i < variant; i++ {
		files[fmt.Sprintf("usr/share/arw-test/f%d", i)] = strings.Repeat("x", i*13+variant)
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDpkgDebReadsAssembledDeb wraps tar members made here (archive/tar,
// compressed by xz(1)) and checks dpkg-deb accepts the package.
func TestDpkgDebReadsAssembledDeb(t *testing.T) {
	need(t, "dpkg-deb", "xz")
	control := xzTar(t, []tarFile{
		{name: "./", dir: true},
		{name: "./control", body: "Package: arw-test\nVersion: 1.0-1\nArchitecture: all\n" +
			"Maintainer: Test <test@example.org>\nInstalled-Size: 1\nDescription: arwriter test\n"},
	})
	data := xzTar(t, []tarFile{
		{name: "./", dir: true},
		{name: "./usr/", dir: true},
		{name: "./usr/share/", dir: true},
		{name: "./usr/share/arw-test/", dir: true},
		{name: "./usr/share/arw-test/hello", body: "hello, world\n"},
	})
	path := filepath.Join(t.TempDir(), "arw-test_1.0-1_all.deb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := arwriter.New(f)
	for _, m := range []member{
		{"debian-binary", epoch, []byte("2.0\n")},
		{"control.tar.xz", epoch, control},
		{"data.tar.xz", epoch, data},
	} {
		// Streamed in small reads, as the rewriter will stream members.
		if err := w.Add(m.name, m.mtime, iotest.HalfReader(bytes.NewReader(m.data)), int64(len(m.data))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	info := string(run(t, "", nil, "dpkg-deb", "--info", path))
	for _, want := range []string{"new Debian package, version 2.0.", "Package: arw-test", "Version: 1.0-1"} {
		if !strings.Contains(info, want) {
			t.Errorf("dpkg-deb --info lacks %q:\n%s", want, info)
		}
	}
	contents := string(run(t, "", nil, "dpkg-deb", "--contents", path))
	if !strings.Contains(contents, "./usr/share/arw-test/hello") {
		t.Errorf("dpkg-deb --contents lacks the file:\n%s", contents)
	}
	out := t.TempDir()
	run(t, "", nil, "dpkg-deb", "-x", path, out)
	if got, err := os.ReadFile(filepath.Join(out, "usr/share/arw-test/hello")); err != nil || string(got) != "hello, world\n" {
		t.Errorf("extracted file = %q, %v", got, err)
	}
}

type tarFile struct {
	name string
	dir  bool
	body string
}

func xzTar(t *testing.T, files []tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg,
			Uname: "root", Gname: "root", ModTime: time.Unix(epoch, 0), Format: tar.FormatGNU}
		if f.dir {
			h.Mode, h.Typeflag = 0o755, tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("xz", "-c", "-6")
	cmd.Stdin = &buf
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xz: %v", err)
	}
	return out
}
