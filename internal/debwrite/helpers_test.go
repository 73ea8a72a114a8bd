package debwrite

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// realPkgDir holds real bookworm packages fetched for oracle tests.
const realPkgDir = "/var/cache/systemd-harden-test/realpkgs/debs"

func requireOracle() bool { return os.Getenv("SYSTEMD_HARDEN_REQUIRE_ORACLE") != "" }

func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			if requireOracle() {
				t.Fatalf("%s is required", c)
			}
			t.Skipf("%s not installed", c)
		}
	}
}

// realDeb returns the path of a real package whose file name starts with
// prefix, skipping the test when the cache is absent.
func realDeb(t *testing.T, prefix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(realPkgDir, prefix+"_*.deb"))
	if len(m) == 0 {
		if requireOracle() {
			t.Fatalf("no %s package in %s", prefix, realPkgDir)
		}
		t.Skipf("no %s package in %s", prefix, realPkgDir)
	}
	return m[0]
}

// run runs a command and returns its stdout; it fails the test on a
// non-zero exit.
func run(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

func fileHash(t *testing.T, p string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// arMembers lists the member names of an ar archive with `ar t`.
func arMembers(t *testing.T, deb string) []string {
	t.Helper()
	return strings.Fields(string(run(t, "", nil, "ar", "t", deb)))
}

// controlField reads a field with dpkg-deb --field.
func controlField(t *testing.T, deb, field string) string {
	t.Helper()
	return strings.TrimSpace(string(run(t, "", nil, "dpkg-deb", "--field", deb, field)))
}

// fsysTar returns the decompressed data.tar as dpkg-deb sees it.
func fsysTar(t *testing.T, deb string) []byte {
	t.Helper()
	return run(t, "", nil, "dpkg-deb", "--fsys-tarfile", deb)
}

func ctrlTar(t *testing.T, deb string) []byte {
	t.Helper()
	return run(t, "", nil, "dpkg-deb", "--ctrl-tarfile", deb)
}

// rawEntry is one tar entry as stored: its header blocks (GNU long-name
// entries included) and its data blocks.
type rawEntry struct {
	name string
	hdr  []byte // all header blocks; the main header is the last 512
	data []byte // padded data
}

// rawEntries splits a GNU tar archive into its stored entries, without
// archive/tar, so tests can compare bytes. It returns the bytes after
// the last entry (the end-of-archive blocks and record padding).
func rawEntries(t *testing.T, b []byte) ([]rawEntry, []byte) {
	t.Helper()
	var out []rawEntry
	off := 0
	var pendingHdr []byte
	longName := ""
	for off+blockSize <= len(b) {
		h := b[off : off+blockSize]
		if bytes.Equal(h, make([]byte, blockSize)) {
			if pendingHdr != nil {
				t.Fatalf("long name entry not followed by an entry at %d", off)
			}
			return out, b[off:]
		}
		size, err := strconv.ParseInt(strings.TrimRight(string(h[offSize:offSize+12]), "\x00 "), 8, 64)
		if err != nil {
			t.Fatalf("entry at %d: size field %q: %v", off, h[offSize:offSize+12], err)
		}
		typ := h[offTypeflag]
		n := int64(0)
		if !headerOnly(typ) {
			n = (size + blockSize - 1) / blockSize * blockSize
		}
		end := off + blockSize + int(n)
		if end > len(b) {
			t.Fatalf("entry at %d runs past the end", off)
		}
		switch typ {
		case 'L':
			pendingHdr = append(pendingHdr, b[off:end]...)
			longName = strings.TrimRight(string(b[off+blockSize:off+blockSize+int(size)]), "\x00")
		case 'x', 'g', 'K':
			t.Fatalf("entry type %q at %d: the test walker handles GNU archives without PAX or long links", typ, off)
		default:
			name := strings.TrimRight(string(h[:nameFieldSize]), "\x00")
			if longName != "" {
				name = longName
			}
			out = append(out, rawEntry{name: name, hdr: append(pendingHdr, h...), data: b[off+blockSize : end]})
			pendingHdr, longName = nil, ""
		}
		off = end
	}
	t.Fatalf("archive without end-of-archive blocks")
	return nil, nil
}

func entryNames(es []rawEntry) []string {
	var n []string
	for _, e := range es {
		n = append(n, e.name)
	}
	return n
}

// tarFile returns the contents of the named file in a tar archive.
func tarFile(t *testing.T, tarball []byte, name string) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(tarball))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			t.Fatalf("%s not in the archive", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

// gencontrolInstalledSize asks dpkg-gencontrol itself what Installed-Size
// it would write for the package: the package is unpacked raw, DEBIAN/
// put back to what it holds when dh_gencontrol runs (no control, no
// md5sums yet), and dpkg-gencontrol -O run over it with a minimal source
// package.
func gencontrolInstalledSize(t *testing.T, deb string) int64 {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	run(t, "", nil, "dpkg-deb", "-R", deb, root)
	pkg := controlField(t, deb, "Package")
	for _, f := range []string{"control", "md5sums"} {
		if err := os.Remove(filepath.Join(root, "DEBIAN", f)); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "debian"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(src, "debian", name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("control", "Source: oracle\nMaintainer: Oracle <oracle@example.org>\n\nPackage: "+pkg+"\nArchitecture: any\nDescription: oracle\n oracle\n")
	write("changelog", "oracle (1.0-1) unstable; urgency=medium\n\n  * oracle\n\n -- Oracle <oracle@example.org>  Mon, 01 Jan 2024 00:00:00 +0000\n")
	out := run(t, src, nil, "dpkg-gencontrol", "-p"+pkg, "-P"+root, "-O")
	m := regexp.MustCompile(`(?m)^Installed-Size: (\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("dpkg-gencontrol printed no Installed-Size:\n%s", out)
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// lintianTags runs lintian and returns its error and warning lines with
// the package's version and file name blanked out, sorted.
func lintianTags(t *testing.T, deb string, blank ...string) []string {
	t.Helper()
	cmd := exec.Command("lintian", "--no-cfg", "--pedantic", "-E", "-I", deb)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// lintian(1): 2 means tags at or above --fail-on (error) were found,
	// which is a result; 1 is a run-time error.
	if err := cmd.Run(); err != nil && cmd.ProcessState.ExitCode() != 2 {
		t.Fatalf("lintian %s: %v\n%s%s", deb, err, stdout.Bytes(), stderr.Bytes())
	}
	// A check that dies makes lintian skip the rest of the package's
	// checks, which would make the comparison vacuous.
	if bytes.Contains(stderr.Bytes(), []byte("skipping check of")) {
		t.Fatalf("lintian did not run all its checks on %s:\n%s", deb, stderr.Bytes())
	}
	var tags []string
	for _, l := range strings.Split(stdout.String(), "\n") {
		if !strings.HasPrefix(l, "E: ") && !strings.HasPrefix(l, "W: ") {
			continue
		}
		for _, b := range blank {
			l = strings.ReplaceAll(l, b, "<X>")
		}
		tags = append(tags, l)
	}
	slices.Sort(tags)
	return tags
}

func fmtMode(m os.FileMode) string { return fmt.Sprintf("%#o", m.Perm()) }
