package rpmread

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/cavaliergopher/rpm"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

// readHostile writes data to x.rpm in a fresh directory, reads it from
// there and checks that nothing was written: not next to the package, not
// in $TMPDIR (pointed at a fresh directory too).
func readHostile(t *testing.T, data []byte, opt Options) (*pkgmodel.Package, error) {
	t.Helper()
	dir, tmp := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if err := os.WriteFile(filepath.Join(dir, "x.rpm"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	before := dirState(t, dir, tmp)
	p, err := Read(context.Background(), "x.rpm", opt)
	if after := dirState(t, dir, tmp); after != before {
		t.Errorf("reading wrote to disk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err != nil {
		var pe *pkgmodel.Error
		if !errors.As(err, &pe) || pe.Package != "x.rpm" {
			t.Errorf("error %q (%T) is not a *pkgmodel.Error naming x.rpm", err, err)
		}
	}
	return p, err
}

func expectError(t *testing.T, data []byte, opt Options, want string) {
	t.Helper()
	_, err := readHostile(t, data, opt)
	if err == nil {
		t.Fatalf("read without error, want %q", want)
	}
	if err.Error() != want {
		t.Errorf("error\n got %q\nwant %q", err, want)
	}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// offsets of a real package's parts.
func layout(b []byte) (sigEnd, hdrEnd int) {
	il := int(binary.BigEndian.Uint32(b[leadSize+8:]))
	dl := int(binary.BigEndian.Uint32(b[leadSize+12:]))
	sigEnd = leadSize + 16 + 16*il + dl + (8-dl%8)%8
	il = int(binary.BigEndian.Uint32(b[sigEnd+8:]))
	dl = int(binary.BigEndian.Uint32(b[sigEnd+12:]))
	return sigEnd, sigEnd + 16 + 16*il + dl
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}

func TestTruncatedBuiltPackage(t *testing.T) {
	real := readFile(t, fixtures(t)["gzip"])
	sigEnd, hdrEnd := layout(real)
	hdrSize := hdrEnd - sigEnd
	for _, c := range []struct {
		at   int
		want string
	}{
		{0, "x.rpm: not an rpm package (no lead magic)"},
		{3, "x.rpm: not an rpm package (no lead magic)"},
		{50, "x.rpm: truncated: the file ends inside the lead (50 of 96 bytes)"},
		{leadSize, "x.rpm: signature header: truncated: the file ends 0 bytes into the header intro"},
		{leadSize + 10, "x.rpm: signature header: truncated: the file ends 10 bytes into the header intro"},
		{sigEnd - 1, fmt.Sprintf("x.rpm: signature header: truncated: the file ends %d bytes into a header of %d", sigEnd-1-leadSize, sigEnd-leadSize)},
		{sigEnd + 16 + 5, fmt.Sprintf("x.rpm: header: truncated: the file ends 21 bytes into a header of %d", hdrSize)},
		{hdrEnd - 1, fmt.Sprintf("x.rpm: header: truncated: the file ends %d bytes into a header of %d", hdrSize-1, hdrSize)},
		{hdrEnd, "x.rpm: payload: truncated: the file ends before the payload"},
		{hdrEnd + 5, "x.rpm: payload: cannot decompress: gzip: unexpected EOF"},
		// gzip's footer (CRC and size) is cut: caught when the stream is
		// read to its end after the cpio trailer.
		{len(real) - 4, "x.rpm: payload: corrupt or truncated: unexpected EOF"},
	} {
		t.Run(fmt.Sprint(c.at), func(t *testing.T) {
			expectError(t, real[:c.at], Options{}, c.want)
		})
	}
	// Cut in the middle of the deflate stream: where the decompressed
	// stream stops depends on rpm's mtimes, so the member may vary.
	t.Run("middle", func(t *testing.T) {
		_, err := readHostile(t, real[:hdrEnd+(len(real)-hdrEnd)/2], Options{})
		re := regexp.MustCompile(`^x\.rpm: payload(: \./[^:]+)?: (corrupt or truncated: unexpected EOF|truncated: the payload ends inside this member)$`)
		if err == nil || !re.MatchString(err.Error()) {
			t.Errorf("error %v, want %s", err, re)
		}
	})
}

func TestCorruptBuiltPackage(t *testing.T) {
	rpms := fixtures(t)
	gzipped := readFile(t, rpms["gzip"])
	sigEnd, hdrEnd := layout(gzipped)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"lead magic", flip(gzipped, 0), "x.rpm: not an rpm package (no lead magic)"},
		{"lead version", func() []byte { b := bytes.Clone(gzipped); b[4] = 6; return b }(), "x.rpm: unsupported rpm lead version 6"},
		{"signature magic", flip(gzipped, leadSize+1), "x.rpm: signature header: bad header magic 8e52e801"},
		{"header magic", flip(gzipped, sigEnd+3), "x.rpm: header: bad header magic 8eade8fe"},
		{"header index count", func() []byte { b := bytes.Clone(gzipped); b[sigEnd+8] = 1; return b }(),
			fmt.Sprintf("x.rpm: header: %d index entries (1 to 65535 allowed)", 1<<24+binary.BigEndian.Uint32(gzipped[sigEnd+8:]))},
		{"gzip magic", flip(gzipped, hdrEnd), "x.rpm: payload: cannot decompress: gzip: invalid header"},
		{"gzip checksum", flip(gzipped, len(gzipped)-8), "x.rpm: payload: corrupt or truncated: gzip: invalid checksum"},
		{"gzip size", flip(gzipped, len(gzipped)-2), "x.rpm: payload: corrupt or truncated: gzip: invalid checksum"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, c.data, Options{}, c.want)
		})
	}
	// The xz and zstd integrity checks, with each xz decoder. The exec
	// decoder's text comes from xz(1) and may carry its path. rpm writes
	// zstd frames without a checksum, so damage there shows as whatever
	// the decoder trips on.
	for _, c := range []struct {
		name string
		comp string
		xz   decompress.Method
		at   func(b []byte) int
		want string
	}{
		{"xz-go", "xz", decompress.Go, func(b []byte) int { return len(b) - 13 },
			`^x\.rpm: payload: corrupt or truncated: xz: data is corrupt$`},
		{"xz-exec", "xz", decompress.Exec, func(b []byte) int { return len(b) - 13 },
			`^x\.rpm: payload: corrupt or truncated: xz: (.*: )?Compressed data is corrupt$`},
		{"zstd-magic", "zstd", "", func(b []byte) int { _, end := layout(b); return end + 3 },
			`^x\.rpm: payload: corrupt or truncated: invalid input: magic number mismatch$`},
		{"zstd-data", "zstd", "", func(b []byte) int { return len(b) - 2 },
			`^x\.rpm: payload(: \./[^:]+)?: (corrupt or truncated: .+|truncated: the payload ends inside this member)$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.xz == decompress.Exec {
				requireTool(t, "xz")
			}
			b := readFile(t, rpms[c.comp])
			_, err := readHostile(t, flip(b, c.at(b)), Options{XZ: c.xz})
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Errorf("error %v, want %s", err, c.want)
			}
		})
	}
}

// TestCrafted feeds packages built in the test: a real-shaped header and a
// hand-written payload.
func TestCrafted(t *testing.T) {
	t.Run("valid", func(t *testing.T) {
		p, err := readHostile(t, crafted{compressor: "gzip"}.build(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range p.Entries {
			got = append(got, fmt.Sprintf("%s %v %s %v", e.Path, e.Mode, e.Link, e.Kept))
		}
		want := []string{
			"/etc/foo.conf -rw-r--r--  false",
			"/usr/lib/systemd/system drwxr-xr-x  false",
			"/usr/lib/systemd/system/foo.service -rw-r--r--  true",
			"/usr/lib/systemd/system/bar.service Lrwxrwxrwx foo.service false",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("entries\n got %q\nwant %q", got, want)
		}
	})
	member := func(ms []cpioMember, name string) *cpioMember {
		for i := range ms {
			if ms[i].name == name {
				return &ms[i]
			}
		}
		t.Fatalf("no member %s", name)
		return nil
	}
	const unit = "./usr/lib/systemd/system/foo.service"
	for _, c := range []struct {
		name string
		pkg  crafted
		opt  Options
		want string
	}{
		{"dotdot member", crafted{members: func(ms []cpioMember) []cpioMember {
			return append(ms, cpioMember{name: "../x", mode: 0o100644, data: []byte("x")})
		}}, Options{}, `x.rpm: payload: ../x: member name "../x" has a ".." component`},
		{"dotdot inside", crafted{members: func(ms []cpioMember) []cpioMember {
			return append(ms, cpioMember{name: "./usr/lib/../../etc/x", mode: 0o100644, data: []byte("x")})
		}}, Options{}, `x.rpm: payload: ./usr/lib/../../etc/x: member name "./usr/lib/../../etc/x" has a ".." component`},
		{"absolute member", crafted{members: func(ms []cpioMember) []cpioMember {
			return append([]cpioMember{{name: "/etc/x", mode: 0o100644, data: []byte("x")}}, ms...)
		}}, Options{}, `x.rpm: payload: /etc/x: absolute member name "/etc/x"`},
		{"member not in header", crafted{members: func(ms []cpioMember) []cpioMember {
			return append(ms, cpioMember{name: "./etc/evil.service", mode: 0o100644, data: []byte("x")})
		}}, Options{}, `x.rpm: payload: ./etc/evil.service: not in the package header`},
		{"duplicate member", crafted{members: func(ms []cpioMember) []cpioMember {
			return append(ms, ms[0])
		}}, Options{}, `x.rpm: payload: ./etc/foo.conf: appears twice in the payload`},
		{"missing member", crafted{members: func(ms []cpioMember) []cpioMember {
			return ms[:2]
		}}, Options{}, `x.rpm: payload: /usr/lib/systemd/system/foo.service is in the header but missing from the payload`},
		{"size mismatch", crafted{members: func(ms []cpioMember) []cpioMember {
			member(ms, unit).data = []byte("[Service]\nExecStart=/bin/sh -c 'rm -rf /'\n")
			return ms
		}}, Options{}, `x.rpm: payload: ./usr/lib/systemd/system/foo.service: 42 bytes in the payload, 33 in the header`},
		{"type mismatch", crafted{members: func(ms []cpioMember) []cpioMember {
			m := member(ms, unit)
			m.mode, m.data = 0o120777, []byte("/etc/shadow")
			return ms
		}}, Options{}, `x.rpm: payload: ./usr/lib/systemd/system/foo.service: file type 0120000 in the payload, 0100000 in the header`},
		{"symlink mismatch", crafted{members: func(ms []cpioMember) []cpioMember {
			member(ms, "./usr/lib/systemd/system/bar.service").data = []byte("/dev/nul")
			return ms
		}}, Options{}, `x.rpm: payload: ./usr/lib/systemd/system/bar.service: symlink to "/dev/nul" in the payload, to "foo.service" in the header`},
		{"ghost in payload", crafted{files: append(defaultFiles(), cfile{path: "/run/foo.pid", mode: 0o100644, flags: fileGhost}),
			members: func(ms []cpioMember) []cpioMember {
				return append(ms, cpioMember{name: "./run/foo.pid", mode: 0o100644})
			}}, Options{}, `x.rpm: payload: ./run/foo.pid: a %ghost file in the header, yet present in the payload`},
		{"no trailer", crafted{raw: writeCpio([]cpioMember{{name: "./etc/foo.conf", mode: 0o100644, data: []byte("x = 1\n")}}, false)},
			Options{}, `x.rpm: payload: truncated: the cpio archive ends without its trailer`},
		{"stripped cpio", crafted{members: func(ms []cpioMember) []cpioMember {
			for i := range ms {
				ms[i].magic = "07070X"
			}
			return ms
		}}, Options{}, `x.rpm: payload: rpm's stripped cpio format (magic 07070X, used by rpm v6 packages and for files over 4 GiB) is not supported`},
		{"old cpio", crafted{raw: append([]byte("070707"), make([]byte, 200)...)},
			Options{}, `x.rpm: payload: bad cpio magic "070707" at the start of the archive`},
		{"bad hex", crafted{raw: append([]byte("070701zzzzzzzz"), make([]byte, 200)...)},
			Options{}, `x.rpm: payload: malformed cpio header at the start of the archive`},
		{"long name", crafted{raw: []byte(fmt.Sprintf("070701%088X%08X%08X", 0, 5000, 0))},
			Options{}, `x.rpm: payload: cpio header with a name of 5000 bytes at the start of the archive`},
		{"truncated header", crafted{raw: writeCpio([]cpioMember{{name: "./etc/foo.conf", mode: 0o100644, data: []byte("x = 1\n")}}, false)[:120]},
			Options{}, `x.rpm: payload: truncated: the payload ends inside a cpio header`},
		{"truncated member", crafted{raw: writeCpio([]cpioMember{{name: "./etc/foo.conf", mode: 0o100644, data: []byte("x = 1\n")}}, false)[:130]},
			Options{}, `x.rpm: payload: ./etc/foo.conf: truncated: the payload ends inside this member`},
		{"hard link without data", crafted{files: append(defaultFiles(),
			cfile{path: "/usr/lib/systemd/system/baz.service", mode: 0o100644, data: "[Unit]\n", ino: 77},
			cfile{path: "/usr/lib/systemd/system/qux.service", mode: 0o100644, data: "[Unit]\n", ino: 77}),
			members: func(ms []cpioMember) []cpioMember {
				member(ms, "./usr/lib/systemd/system/qux.service").data = nil
				return ms
			}}, Options{}, `x.rpm: payload: ./usr/lib/systemd/system/qux.service: the hard-link set of /usr/lib/systemd/system/baz.service ends without its data`},
		{"unknown compressor", crafted{compressor: "brotli"}, Options{}, `x.rpm: payload: unknown payload compressor "brotli"`},
		{"compressor mismatch", crafted{compressor: "gzip", compress: zst}, Options{},
			`x.rpm: payload: the header says gzip but the payload is zstd compressed`},
		{"lzma mismatch", crafted{compressor: "lzma"}, Options{}, `x.rpm: payload: the header says lzma but the payload is gzip compressed`},
		{"data twice", crafted{files: append(defaultFiles(),
			cfile{path: "/usr/bin/a", mode: 0o100755, data: "#!/bin/sh\n", ino: 77},
			cfile{path: "/usr/bin/b", mode: 0o100755, data: "#!/bin/sh\n", ino: 77}),
			members: func(ms []cpioMember) []cpioMember {
				member(ms, "./usr/bin/a").data = []byte("#!/bin/sh\n")
				return ms
			}}, Options{}, `x.rpm: payload: ./usr/bin/b: a second copy of the data of the hard-link set of /usr/bin/a`},
		{"no compressor tag, no magic", crafted{compress: func(b []byte) []byte { return append([]byte("junk"), b...) }}, Options{},
			`x.rpm: payload: no PAYLOADCOMPRESSOR tag and no known compression magic`},
		{"payload format", crafted{edit: func(h *header) { h.set(str(tagPayloadFormat, "drpm")) }}, Options{},
			`x.rpm: payload: unsupported payload format "drpm"`},
		{"corrupt deflate", crafted{compress: func(b []byte) []byte { g := gz(b); g[12] ^= 0xff; return g }}, Options{},
			`x.rpm: payload: corrupt or truncated: flate: corrupt input before offset 5`},
		{"budget from header", crafted{}, Options{Budget: 20},
			`x.rpm: header: the files declare more than the size budget of 20 bytes`},
		// Declared sizes fit; a megabyte of zeros after the trailer does not.
		{"budget while decompressing", crafted{compress: func(b []byte) []byte { return gz(append(b, make([]byte, 1<<20)...)) }},
			Options{Budget: 64 << 10},
			`x.rpm: payload: refused: decompressed data exceeds the size budget`},
		{"kept file over the limit", crafted{files: []cfile{{path: "/usr/lib/systemd/system/big.service", mode: 0o100644, data: string(make([]byte, pkgmodel.MaxKept+1))}}},
			Options{}, `x.rpm: header: /usr/lib/systemd/system/big.service: 4194305 bytes, over the 4194304 byte limit for a file the analysis reads`},
		{"header dotdot", crafted{edit: func(h *header) {
			h.set(strs(tagDirNames, "/etc/", "/usr/lib/systemd/", "/usr/lib/../../systemd/system/"))
		}},
			Options{}, `x.rpm: header: /usr/lib/../../systemd/system/foo.service: member name "usr/lib/../../systemd/system/foo.service" has a ".." component`},
		{"header relative", crafted{edit: func(h *header) { h.set(strs(tagDirNames, "etc/", "/usr/lib/systemd/", "/usr/lib/systemd/system/")) }},
			Options{}, `x.rpm: header: file name "etc/foo.conf" is not absolute`},
		{"through a symlink", crafted{files: []cfile{
			{path: "/usr/lib/systemd/system", mode: 0o120777, link: "/etc/systemd/system"},
			{path: "/usr/lib/systemd/system/foo.service", mode: 0o100644, data: "[Service]\n"},
		}}, Options{}, `x.rpm: header: /usr/lib/systemd/system/foo.service goes through the symlink /usr/lib/systemd/system shipped in the same package`},
		{"short file modes", crafted{edit: func(h *header) { h.set(ints(tagFileModes, typeInt16, 0o100644)) }},
			Options{}, `x.rpm: header: FILEMODES has 1 entries for 4 files`},
		{"no file sizes", crafted{edit: func(h *header) { h.del(tagFileSizes) }},
			Options{}, `x.rpm: header: neither FILESIZES nor LONGFILESIZES has one entry per file (4 files)`},
		{"dir index", crafted{edit: func(h *header) { h.set(ints(tagDirIndexes, typeInt32, 0, 1, 9, 2)) }},
			Options{}, `x.rpm: header: file "foo.service" has directory index 9, outside the 3 DIRNAMES`},
		{"unknown file type", crafted{edit: func(h *header) { h.set(ints(tagFileModes, typeInt16, 0o100644, 0o040755, 0o000644, 0o120777)) }},
			Options{}, `x.rpm: header: /usr/lib/systemd/system/foo.service: unknown file type in mode 0644`},
		{"trigger index", crafted{edit: func(h *header) {
			h.set(strs(tagTriggerScripts, "echo"))
			h.set(strs(tagTriggerName, "systemd"))
			h.set(strs(tagTriggerVersion, ""))
			h.set(ints(tagTriggerFlags, typeInt32, senseTriggerIn))
			h.set(ints(tagTriggerIndex, typeInt32, 3))
		}}, Options{}, `x.rpm: header: TRIGGER condition "systemd" names script 3 of 1`},
		{"source package", crafted{edit: func(h *header) { h.set(ints(tagSourcePackage, typeInt32, 1)) }},
			Options{}, `x.rpm: a source package (.src.rpm): only binary packages ship units`},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, c.pkg.build(), c.opt, c.want)
		})
	}
}

// TestHeaderStructure feeds headers whose index lies about the store:
// cavaliergopher/rpm would panic or allocate without bound on some.
func TestHeaderStructure(t *testing.T) {
	base := crafted{compressor: "gzip"}.build()
	sigEnd, _ := layout(base)
	index := sigEnd + 16 // the main header's first index entry
	set := func(off int, v uint32) []byte {
		b := bytes.Clone(base)
		binary.BigEndian.PutUint32(b[off:], v)
		return b
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"offset past the store", set(index+8, 1<<30), "x.rpm: header: index entry 0 (tag 1000) points outside the data store"},
		{"huge count", set(index+12, 1<<31), "x.rpm: header: index entry 0 (tag 1000): a STRING with 2147483648 values"},
		{"unknown type", set(index+4, 42), "x.rpm: header: index entry 0 (tag 1000) has unknown type 42"},
		{"no values", set(index+12, 0), "x.rpm: header: index entry 0 (tag 1000) has no values"},
		{"overlap", set(index+16+8, 1), "x.rpm: header: index entry 1 (tag 1001) overlaps the previous entry's data"},
		{"int64 overrun", func() []byte { b := set(index+4, typeInt64); binary.BigEndian.PutUint32(b[index+12:], 1<<28); return b }(),
			"x.rpm: header: index entry 0 (tag 1000): 268435456 values of 8 bytes do not fit in the data store"},
		{"unterminated strings", set(index+12+16*16, 30), "x.rpm: header: index entry 16 (tag 1117): string 9 is not terminated inside the data store"},
		{"store too large", set(sigEnd+12, maxStore+1), "x.rpm: header: a data store of 33554433 bytes, over the 33554432 byte limit"},
		{"no index", set(sigEnd+8, 0), "x.rpm: header: 0 index entries (1 to 65535 allowed)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			expectError(t, c.data, Options{}, c.want)
		})
	}
}

// TestLongFileSizes reads a package whose header carries only
// LONGFILESIZES, as rpm v6 packages and v4 packages with files over 4 GiB
// do: cavaliergopher/rpm's Files() panics on it; Read does not use it.
func TestLongFileSizes(t *testing.T) {
	orig := readFile(t, fixtures(t)["gzip"])
	r := splitRPM(t, orig)
	sizes := r.hdr.get(tagFileSizes)
	if sizes == nil {
		t.Fatal("the built package has no FILESIZES")
	}
	r.hdr.set(ints(tagLongFileSizes, typeInt64, sizes.ints()...))
	r.hdr.del(tagFileSizes)
	long := r.bytes()

	pkg, err := rpm.Read(bytes.NewReader(long))
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Log("cavaliergopher/rpm's Files() no longer panics on LONGFILESIZES-only headers")
			}
		}()
		pkg.Files()
	}()

	want, err := Read(context.Background(), fixtures(t)["gzip"], Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readHostile(t, long, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(comparable(got), comparable(want)) {
		t.Errorf("LONGFILESIZES package differs:\n%+v\n%+v", got.Entries, want.Entries)
	}
}

// TestSplicedPayload replaces a built package's payload with a
// hand-written one holding a ".." member: the real header is kept (the
// reader checks no digests), so this is what a tampered package looks
// like.
func TestSplicedPayload(t *testing.T) {
	r := splitRPM(t, readFile(t, fixtures(t)["gzip"]))
	r.payload = gz(writeCpio([]cpioMember{
		{name: "./etc/foo.conf", mode: 0o100644, data: []byte(source(t, "foo.conf"))},
		{name: "./usr/lib/systemd/system/../../../../etc/shadow", mode: 0o100644, data: []byte("root::0:0\n")},
	}, true))
	expectError(t, r.bytes(), Options{}, `x.rpm: payload: ./usr/lib/systemd/system/../../../../etc/shadow: member name "./usr/lib/systemd/system/../../../../etc/shadow" has a ".." component`)
}

func TestNotAPackageFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("d.rpm", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{"missing.rpm", "missing.rpm: cannot open: no such file or directory"},
		{"d.rpm", "d.rpm: not a regular file"},
	} {
		if _, err := Read(context.Background(), c.path, Options{}); err == nil || err.Error() != c.want {
			t.Errorf("%s: error %v, want %q", c.path, err, c.want)
		}
	}
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadFrom(ctx, "x.rpm", bytes.NewReader(crafted{}.build()), Options{})
	if want := "x.rpm: payload: cancelled: context canceled"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not unwrap to context.Canceled", err)
	}
}

// TestControlCharacters: a hostile name must not break the one-line error.
func TestControlCharacters(t *testing.T) {
	data := crafted{members: func(ms []cpioMember) []cpioMember {
		return append(ms, cpioMember{name: "./etc/x\nE: fake-finding", mode: 0o100644})
	}}.build()
	expectError(t, data, Options{}, `x.rpm: payload: ./etc/x\nE: fake-finding: not in the package header`)
}
