package rpmread

// Helpers that take rpm files apart and put hostile ones together: a
// header encoder/decoder, a cpio newc writer and a small package builder.
// The reader does not verify digests or signatures, so a real package's
// header can be edited and its payload replaced.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// tagEntry is one header index entry with its data.
type tagEntry struct {
	tag, typ, count uint32
	data            []byte
}

type header struct{ entries []tagEntry }

// parseBlob decodes a header structure (no checks: test inputs are real
// packages) and returns the header and the bytes after it.
func parseBlob(t testing.TB, b []byte, pad bool) (header, []byte) {
	t.Helper()
	if len(b) < 16 || !bytes.Equal(b[:4], headerMagic) {
		t.Fatalf("not a header")
	}
	il := int(binary.BigEndian.Uint32(b[8:12]))
	dl := int(binary.BigEndian.Uint32(b[12:16]))
	index, store := b[16:16+16*il], b[16+16*il:16+16*il+dl]
	var h header
	for i := 0; i < il; i++ {
		e := index[16*i:]
		tag, typ := binary.BigEndian.Uint32(e[0:4]), binary.BigEndian.Uint32(e[4:8])
		off, cnt := int64(binary.BigEndian.Uint32(e[8:12])), int64(binary.BigEndian.Uint32(e[12:16]))
		if tag == tagHeaderImmutable || tag == tagHeaderSignatures || tag == tagHeaderImage {
			continue // region trailers are not needed to read a header
		}
		n, _, err := dataLength(typ, store, off, cnt)
		if err != nil {
			t.Fatalf("tag %d: %v", tag, err)
		}
		h.entries = append(h.entries, tagEntry{tag, typ, uint32(cnt), append([]byte(nil), store[off:off+n]...)})
	}
	end := 16 + 16*il + dl
	if pad {
		end += (8 - dl%8) % 8
	}
	return h, b[end:]
}

func (h *header) get(tag uint32) *tagEntry {
	for i := range h.entries {
		if h.entries[i].tag == tag {
			return &h.entries[i]
		}
	}
	return nil
}

func (h *header) del(tag uint32) {
	out := h.entries[:0]
	for _, e := range h.entries {
		if e.tag != tag {
			out = append(out, e)
		}
	}
	h.entries = out
}

func (h *header) set(e tagEntry) {
	h.del(e.tag)
	h.entries = append(h.entries, e)
}

// encode writes the header structure, entries sorted by tag with their
// data in that order and aligned as rpm aligns it.
func (h *header) encode(pad bool) []byte {
	es := append([]tagEntry(nil), h.entries...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].tag < es[j].tag })
	var store, index []byte
	for _, e := range es {
		align := map[uint32]int{typeInt16: 2, typeInt32: 4, typeInt64: 8}[e.typ]
		for align > 0 && len(store)%align != 0 {
			store = append(store, 0)
		}
		index = binary.BigEndian.AppendUint32(index, e.tag)
		index = binary.BigEndian.AppendUint32(index, e.typ)
		index = binary.BigEndian.AppendUint32(index, uint32(len(store)))
		index = binary.BigEndian.AppendUint32(index, e.count)
		store = append(store, e.data...)
	}
	out := append([]byte(nil), headerMagic...)
	out = append(out, 0, 0, 0, 0)
	out = binary.BigEndian.AppendUint32(out, uint32(len(es)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(store)))
	out = append(append(out, index...), store...)
	if pad {
		out = append(out, make([]byte, (8-len(store)%8)%8)...)
	}
	return out
}

func str(tag uint32, s string) tagEntry {
	return tagEntry{tag, typeString, 1, append([]byte(s), 0)}
}

func strs(tag uint32, ss ...string) tagEntry {
	var b []byte
	for _, s := range ss {
		b = append(append(b, s...), 0)
	}
	return tagEntry{tag, typeStringArray, uint32(len(ss)), b}
}

func ints(tag, typ uint32, vs ...int64) tagEntry {
	var b []byte
	for _, v := range vs {
		switch typ {
		case typeInt16:
			b = binary.BigEndian.AppendUint16(b, uint16(v))
		case typeInt32:
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		case typeInt64:
			b = binary.BigEndian.AppendUint64(b, uint64(v))
		}
	}
	return tagEntry{tag, typ, uint32(len(vs)), b}
}

// decodeInts reads an integer entry back.
func (e *tagEntry) ints() []int64 {
	size := map[uint32]int{typeInt16: 2, typeInt32: 4, typeInt64: 8}[e.typ]
	var out []int64
	for i := 0; i < int(e.count); i++ {
		b := e.data[i*size:]
		switch size {
		case 2:
			out = append(out, int64(binary.BigEndian.Uint16(b)))
		case 4:
			out = append(out, int64(binary.BigEndian.Uint32(b)))
		case 8:
			out = append(out, int64(binary.BigEndian.Uint64(b)))
		}
	}
	return out
}

// rpmFile is a package split into its parts.
type rpmFile struct {
	lead    []byte
	sig     header
	hdr     header
	payload []byte
}

func splitRPM(t testing.TB, b []byte) *rpmFile {
	t.Helper()
	r := &rpmFile{lead: append([]byte(nil), b[:leadSize]...)}
	var rest []byte
	r.sig, rest = parseBlob(t, b[leadSize:], true)
	r.hdr, rest = parseBlob(t, rest, false)
	r.payload = append([]byte(nil), rest...)
	return r
}

func (r *rpmFile) bytes() []byte {
	out := append([]byte(nil), r.lead...)
	out = append(out, r.sig.encode(true)...)
	out = append(out, r.hdr.encode(false)...)
	return append(out, r.payload...)
}

// cpioMember is one newc member; magic defaults to 070701.
type cpioMember struct {
	magic string
	name  string
	mode  uint32
	ino   uint32
	nlink uint32
	size  int // > 0: the declared size, else len(data)
	data  []byte
}

func writeCpio(ms []cpioMember, trailer bool) []byte {
	var b bytes.Buffer
	put := func(m cpioMember) {
		magic := m.magic
		if magic == "" {
			magic = "070701"
		}
		size := len(m.data)
		if m.size > 0 {
			size = m.size // a declared size that lies
		}
		nlink := m.nlink
		if nlink == 0 {
			nlink = 1
		}
		fmt.Fprintf(&b, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic,
			m.ino, m.mode, 0, 0, nlink, 1700000000, size, 0, 0, 0, 0, len(m.name)+1, 0)
		b.WriteString(m.name)
		b.WriteByte(0)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
		b.Write(m.data)
		for b.Len()%4 != 0 {
			b.WriteByte(0)
		}
	}
	for _, m := range ms {
		put(m)
	}
	if trailer {
		put(cpioMember{name: cpioTrailer})
	}
	return b.Bytes()
}

// gz compresses without compression (stored blocks), so a cut at a given
// offset lands at a known place in the decompressed stream.
func gz(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.NoCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func zst(b []byte) []byte {
	w, _ := zstd.NewWriter(nil)
	return w.EncodeAll(b, nil)
}

// cfile is one file of a crafted package.
type cfile struct {
	path  string
	mode  uint32 // st_mode with type bits
	data  string
	link  string
	owner string
	flags int64
	ino   uint32 // 0: a fresh inode
}

// crafted is a small package built from scratch.
type crafted struct {
	files      []cfile
	compressor string // PAYLOADCOMPRESSOR; "" leaves the tag out
	edit       func(h *header)
	members    func([]cpioMember) []cpioMember // edits the payload members
	raw        []byte                          // decompressed payload instead of the cpio
	compress   func([]byte) []byte
}

func defaultFiles() []cfile {
	return []cfile{
		{path: "/etc/foo.conf", mode: 0o100644, data: "x = 1\n", flags: fileConfig},
		{path: "/usr/lib/systemd/system", mode: 0o040755},
		{path: "/usr/lib/systemd/system/foo.service", mode: 0o100644, data: "[Service]\nExecStart=/usr/bin/foo\n"},
		{path: "/usr/lib/systemd/system/bar.service", mode: 0o120777, link: "foo.service"},
	}
}

func (c crafted) build() []byte {
	files := c.files
	if files == nil {
		files = defaultFiles()
	}
	var dirs, bases, users, links []string
	var idx, modes, sizes, flags, inodes, devs []int64
	dirIndex := map[string]int64{}
	var members []cpioMember
	for i, f := range files {
		d, b := path.Split(f.path)
		if _, ok := dirIndex[d]; !ok {
			dirIndex[d] = int64(len(dirs))
			dirs = append(dirs, d)
		}
		bases = append(bases, b)
		idx = append(idx, dirIndex[d])
		modes = append(modes, int64(f.mode))
		size := len(f.data)
		if f.mode&0o170000 == 0o120000 {
			size = len(f.link)
		}
		sizes = append(sizes, int64(size))
		flags = append(flags, f.flags)
		owner := f.owner
		if owner == "" {
			owner = "root"
		}
		users = append(users, owner)
		links = append(links, f.link)
		ino := f.ino
		if ino == 0 {
			ino = uint32(1000 + i)
		}
		inodes = append(inodes, int64(ino))
		devs = append(devs, 1)
		if f.flags&fileGhost != 0 {
			continue
		}
		data := []byte(f.data)
		if f.link != "" {
			data = []byte(f.link)
		}
		members = append(members, cpioMember{name: "." + f.path, mode: f.mode, ino: ino, data: data})
	}
	// Hard links: every member of a set gets the set's link count; the
	// data goes on the last one, as rpm writes them.
	count := map[uint32]int{}
	for _, m := range members {
		count[m.ino]++
	}
	seen := map[uint32]int{}
	for i := range members {
		m := &members[i]
		if n := count[m.ino]; n > 1 {
			m.nlink = uint32(n)
			seen[m.ino]++
			if seen[m.ino] < n {
				m.data = nil
			}
		}
	}
	h := header{}
	h.set(str(1000, "foo"))
	h.set(str(1001, "1.0"))
	h.set(str(1002, "1"))
	h.set(str(1022, "x86_64"))
	h.set(str(1044, "foo-1.0-1.src.rpm"))
	h.set(str(tagPayloadFormat, "cpio"))
	if c.compressor != "" {
		h.set(str(tagPayloadCompr, c.compressor))
	}
	h.set(str(tagPreIn, "getent passwd foo >/dev/null || useradd -r foo\n"))
	h.set(str(tagPostIn, "systemctl --no-reload preset foo.service || :\n"))
	h.set(strs(tagDirNames, dirs...))
	h.set(strs(tagBaseNames, bases...))
	h.set(ints(tagDirIndexes, typeInt32, idx...))
	h.set(ints(tagFileModes, typeInt16, modes...))
	h.set(ints(tagFileSizes, typeInt32, sizes...))
	h.set(ints(tagFileFlags, typeInt32, flags...))
	h.set(ints(tagFileInodes, typeInt32, inodes...))
	h.set(ints(tagFileDevices, typeInt32, devs...))
	h.set(strs(tagFileUserName, users...))
	h.set(strs(tagFileGroupName, users...))
	h.set(strs(tagFileLinkTos, links...))
	if c.edit != nil {
		c.edit(&h)
	}
	if c.members != nil {
		members = c.members(members)
	}
	payload := c.raw
	if payload == nil {
		payload = writeCpio(members, true)
	}
	comp := c.compress
	if comp == nil {
		comp = gz
	}
	lead := make([]byte, leadSize)
	copy(lead, leadMagic)
	lead[4], lead[5] = 3, 0
	copy(lead[10:], "foo-1.0-1")
	binary.BigEndian.PutUint16(lead[78:80], 5)
	sig := header{}
	sig.set(ints(1000, typeInt32, int64(len(payload))))
	r := &rpmFile{lead: lead, sig: sig, hdr: h, payload: comp(payload)}
	return r.bytes()
}

// dirState lists a directory tree (names, sizes, modes) to show that
// reading wrote nothing.
func dirState(t testing.TB, dirs ...string) string {
	t.Helper()
	var b strings.Builder
	for _, d := range dirs {
		walkDir(t, d, &b)
	}
	return b.String()
}

func walkDir(t testing.TB, root string, b *strings.Builder) {
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(b, "%s %v %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
