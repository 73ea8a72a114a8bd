// Package debtest builds synthetic Debian binary packages (.deb) in memory
// for the tests of the .deb reader and the rewriter.
//
// It exists so reader tests need neither checked-in binary fixtures nor
// dpkg-deb at test time, and so they can build packages dpkg-deb refuses to
// build: paths with "..", absolute names, hard links to nowhere, tar headers
// whose declared size is not the body's, corrupt compressed members,
// unknown or misordered ar members. Everything is deterministic: the same
// Deb always gives the same bytes (fixed mtimes, single-threaded
// compressors with fixed parameters), so tests can compare bytes.
//
// The ar container is written by internal/arwriter, so every Deb is also
// an exercise of that writer. The package is only for tests; nothing in the
// program imports it.
package debtest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"github.com/ulikunitz/xz/lzma"

	"github.com/systemd-harden/systemd-harden/internal/arwriter"
)

// DefaultMtime (2023-11-14T22:13:20Z) is used for ar members and tar
// entries when nothing else is given, so output never depends on the clock.
const DefaultMtime = 1700000000

// Entry is one tar entry of data.tar (or, via Deb.ControlEntries, of
// control.tar). Names are written as given: "./usr/" for a directory,
// "./usr/lib/x" for a file, as dpkg-deb writes them; nothing is
// normalised, so hostile names can be tested.
type Entry struct {
	Name string
	// Type is a tar type flag: tar.TypeReg, TypeDir, TypeSymlink, TypeLink,
	// TypeChar, TypeBlock, TypeFifo. Zero means tar.TypeReg.
	Type byte
	// Mode holds the permission bits, including 04000 (setuid), 02000 and
	// 01000. Zero means the usual default for Type: 0755 for directories,
	// 0777 for symlinks, 0644 otherwise.
	Mode int64
	Uid  int
	Gid  int
	// Uname and Gname default to "root" when Uid or Gid is 0.
	Uname, Gname string
	Body         []byte
	Linkname     string // target of a symlink or hard link
	// Size is the size written in the tar header; 0 means len(Body). A
	// Size different from len(Body) writes the header and then Body raw,
	// padded to the 512-byte block, so a reader sees a truncated archive
	// (Size larger) or Body's tail taken for the next header (Size
	// smaller). Use it to declare huge members without allocating them.
	Size     int64
	ModTime  time.Time // zero means the Deb's mtime
	Devmajor int64
	Devminor int64
}

// Member is a raw ar member, for signatures (_gpgorigin, _gpgbuilder) and
// for unknown or duplicate members.
type Member struct {
	Name string
	Data []byte
}

// Deb describes a package. The zero value is a valid, empty package
// without a control file.
type Deb struct {
	// DebianBinary is the debian-binary member; nil means "2.0\n" (an
	// empty non-nil slice writes an empty member).
	DebianBinary []byte
	// Control holds control.tar's files by bare name ("control",
	// "conffiles", "md5sums", "postinst", …), written as "./<name>" after a
	// "./" directory entry, in name order as dpkg-deb sorts them; the
	// maintainer scripts preinst, postinst, prerm, postrm and config get
	// mode 0755, everything else 0644.
	Control map[string][]byte
	// ControlEntries are appended to control.tar after Control's files,
	// for control archives with links, directories or odd modes.
	ControlEntries []Entry
	// ControlCompression and DataCompression are "gzip", "xz", "zstd",
	// "bzip2", "lzma" or "none" and choose the member names
	// control.tar[.gz|.xz|.zst|.bz2|.lzma]; "" means "xz", dpkg-deb's
	// default. dpkg accepts only gzip, xz, zstd and none for control.tar.
	ControlCompression string
	Data               []Entry
	DataCompression    string
	// ExtraMembers are written after data.tar (where debsigs and dpkg-sig
	// put signatures) unless MemberOrder says otherwise.
	ExtraMembers []Member
	// MemberOrder, if set, lists the members to write by name, in order:
	// "debian-binary", the control and data member names and the
	// ExtraMembers' names. Members not listed are left out; a name listed
	// twice is written twice.
	MemberOrder []string
	// CorruptData, if set, replaces the compressed data member's bytes.
	CorruptData func([]byte) []byte
	// Mangle, if set, replaces the finished archive's bytes (truncate it,
	// break an ar header, …).
	Mangle func([]byte) []byte
	// Mtime is the ar members' mtime and the default tar entry time; 0
	// means DefaultMtime.
	Mtime int64
}

// Extension returns the member-name suffix for a compression name.
func Extension(compression string) (string, error) {
	switch compression {
	case "", "xz":
		return ".xz", nil
	case "gzip":
		return ".gz", nil
	case "zstd":
		return ".zst", nil
	case "bzip2":
		return ".bz2", nil
	case "lzma":
		return ".lzma", nil
	case "none":
		return "", nil
	}
	return "", fmt.Errorf("debtest: unknown compression %q", compression)
}

// ControlMemberName is the ar name of the control member, e.g. "control.tar.xz".
func (d Deb) ControlMemberName() (string, error) {
	ext, err := Extension(d.ControlCompression)
	return "control.tar" + ext, err
}

// DataMemberName is the ar name of the data member, e.g. "data.tar.xz".
func (d Deb) DataMemberName() (string, error) {
	ext, err := Extension(d.DataCompression)
	return "data.tar" + ext, err
}

func (d Deb) mtime() int64 {
	if d.Mtime == 0 {
		return DefaultMtime
	}
	return d.Mtime
}

// maintainerScripts get mode 0755 in control.tar, as dpkg-deb requires.
var maintainerScripts = map[string]bool{
	"preinst": true, "postinst": true, "prerm": true, "postrm": true, "config": true,
}

// ControlTar returns the uncompressed control.tar.
func (d Deb) ControlTar() ([]byte, error) {
	names := make([]string, 0, len(d.Control))
	for name := range d.Control {
		names = append(names, name)
	}
	sort.Strings(names)
	entries := []Entry{{Name: "./", Type: tar.TypeDir}}
	for _, name := range names {
		e := Entry{Name: "./" + name, Body: d.Control[name]}
		if maintainerScripts[name] {
			e.Mode = 0o755
		}
		entries = append(entries, e)
	}
	entries = append(entries, d.ControlEntries...)
	tarball, err := Tar(entries, time.Unix(d.mtime(), 0))
	if err != nil {
		return nil, fmt.Errorf("debtest: control.tar: %w", err)
	}
	return tarball, nil
}

// DataTar returns the uncompressed data.tar.
func (d Deb) DataTar() ([]byte, error) {
	tarball, err := Tar(d.Data, time.Unix(d.mtime(), 0))
	if err != nil {
		return nil, fmt.Errorf("debtest: data.tar: %w", err)
	}
	return tarball, nil
}

// Bytes assembles the package.
func (d Deb) Bytes() ([]byte, error) {
	members, err := d.members()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := arwriter.New(&buf)
	for _, m := range members {
		if err := w.AddBytes(m.Name, d.mtime(), m.Data); err != nil {
			return nil, fmt.Errorf("debtest: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("debtest: %w", err)
	}
	out := buf.Bytes()
	if d.Mangle != nil {
		out = d.Mangle(out)
	}
	return out, nil
}

// members returns the ar members in the order they are written.
func (d Deb) members() ([]Member, error) {
	controlName, err := d.ControlMemberName()
	if err != nil {
		return nil, fmt.Errorf("debtest: control member: %w", err)
	}
	dataName, err := d.DataMemberName()
	if err != nil {
		return nil, fmt.Errorf("debtest: data member: %w", err)
	}
	ctl, err := d.ControlTar()
	if err != nil {
		return nil, err
	}
	ctl, err = Compress(d.ControlCompression, ctl)
	if err != nil {
		return nil, fmt.Errorf("debtest: %s: %w", controlName, err)
	}
	data, err := d.DataTar()
	if err != nil {
		return nil, err
	}
	data, err = Compress(d.DataCompression, data)
	if err != nil {
		return nil, fmt.Errorf("debtest: %s: %w", dataName, err)
	}
	if d.CorruptData != nil {
		data = d.CorruptData(data)
	}
	debianBinary := d.DebianBinary
	if debianBinary == nil {
		debianBinary = []byte("2.0\n")
	}
	members := append([]Member{
		{"debian-binary", debianBinary},
		{controlName, ctl},
		{dataName, data},
	}, d.ExtraMembers...)
	if d.MemberOrder == nil {
		return members, nil
	}
	ordered := make([]Member, 0, len(d.MemberOrder))
	for _, name := range d.MemberOrder {
		i := slices.IndexFunc(members, func(m Member) bool { return m.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("debtest: MemberOrder names %q, which is not a member (have debian-binary, %s, %s and ExtraMembers)", name, controlName, dataName)
		}
		ordered = append(ordered, members[i])
	}
	return ordered, nil
}

// Write writes the package to dir/name (dir "" means t.TempDir()) and
// returns the path; it fails the test on any error.
func (d Deb) Write(t testing.TB, dir, name string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	b, err := d.Bytes()
	if err != nil {
		t.Fatalf("building %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatalf("writing %s: %v", name, err)
	}
	return path
}

// Tar writes entries as a GNU-format tar archive, the format dpkg-deb
// uses, followed by the two zero blocks that end an archive. Entries
// without a ModTime get mtime.
func Tar(entries []Entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	for i, e := range entries {
		if err := writeEntry(&buf, e, mtime); err != nil {
			return nil, fmt.Errorf("entry %d %q: %w", i, e.Name, err)
		}
	}
	buf.Write(make([]byte, 2*512))
	return buf.Bytes(), nil
}

func writeEntry(buf *bytes.Buffer, e Entry, mtime time.Time) error {
	typ := e.Type
	if typ == 0 {
		typ = tar.TypeReg
	}
	mode := e.Mode
	if mode == 0 {
		switch typ {
		case tar.TypeDir:
			mode = 0o755
		case tar.TypeSymlink:
			mode = 0o777
		default:
			mode = 0o644
		}
	}
	size := e.Size
	if size == 0 {
		size = int64(len(e.Body))
	}
	uname, gname := e.Uname, e.Gname
	if uname == "" && e.Uid == 0 {
		uname = "root"
	}
	if gname == "" && e.Gid == 0 {
		gname = "root"
	}
	modTime := e.ModTime
	if modTime.IsZero() {
		modTime = mtime
	}
	hdr := &tar.Header{
		Typeflag: typ,
		Name:     e.Name,
		Linkname: e.Linkname,
		Size:     size,
		Mode:     mode,
		Uid:      e.Uid,
		Gid:      e.Gid,
		Uname:    uname,
		Gname:    gname,
		// GNU and ustar headers hold whole seconds.
		ModTime:  modTime.Truncate(time.Second),
		Devmajor: e.Devmajor,
		Devminor: e.Devminor,
		Format:   tar.FormatGNU,
	}
	// A fresh tar.Writer per entry: it writes the header (and any GNU
	// long-name entries) at once, and is simply dropped when the body has
	// to be written raw, since tar.Writer refuses bodies that do not match
	// the declared size.
	tw := tar.NewWriter(buf)
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("writing tar header: %w", err)
	}
	headerOnly := typ == tar.TypeDir || typ == tar.TypeSymlink || typ == tar.TypeLink ||
		typ == tar.TypeChar || typ == tar.TypeBlock || typ == tar.TypeFifo
	if size != int64(len(e.Body)) || (headerOnly && size != 0) {
		buf.Write(e.Body)
		if n := len(e.Body) % 512; n != 0 {
			buf.Write(make([]byte, 512-n))
		}
		return nil
	}
	if _, err := tw.Write(e.Body); err != nil {
		return fmt.Errorf("writing tar body: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("padding tar body: %w", err)
	}
	return nil
}

// Compress compresses data with fixed parameters (see Deb.DataCompression
// for the names), so the same input always gives the same bytes.
func Compress(compression string, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	switch compression {
	case "none":
		return data, nil
	case "gzip":
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	case "", "xz":
		zw, err := xz.WriterConfig{}.NewWriter(&buf)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
	case "lzma":
		zw, err := lzma.WriterConfig{SizeInHeader: true, Size: int64(len(data))}.NewWriter(&buf)
		if err != nil {
			return nil, fmt.Errorf("lzma: %w", err)
		}
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("lzma: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("lzma: %w", err)
		}
	case "zstd":
		// One goroutine: concurrent encoding may split blocks differently.
		zw, err := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		if _, err := zw.Write(data); err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		if err := zw.Close(); err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
	case "bzip2":
		// The standard library only decompresses bzip2, and no bzip2
		// writer is among the dependencies: use the bzip2 program.
		path, err := exec.LookPath("bzip2")
		if err != nil {
			return nil, fmt.Errorf("bzip2 compression needs the bzip2 program: %w", err)
		}
		cmd := exec.Command(path, "-c", "-9")
		cmd.Stdin = bytes.NewReader(data)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &buf, &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("bzip2: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
	default:
		return nil, fmt.Errorf("unknown compression %q", compression)
	}
	return buf.Bytes(), nil
}
