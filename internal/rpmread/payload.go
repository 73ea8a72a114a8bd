package rpmread

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/cavaliergopher/cpio"
	"github.com/cavaliergopher/rpm"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// declared refuses, before anything is decompressed, a package whose
// header declares more data than the budget (Contracts: Limits) or a kept
// file over pkgmodel.MaxKept.
func (rd *reader) declared(pkg *rpm.Package, files []*hfile) error {
	var total int64
	counted := map[[2]int64]bool{} // a hard-linked file's data is in the payload once
	for _, f := range files {
		if t, _ := typeOf(f.mode); t != tree.Regular || f.ghost() {
			continue
		}
		if pkgmodel.Interesting(f.path) && f.size > pkgmodel.MaxKept {
			return rd.fail("header", "%s: %d bytes, over the %d byte limit for a file the analysis reads", f.path, f.size, pkgmodel.MaxKept)
		}
		if counted[f.node] {
			continue
		}
		counted[f.node] = true
		if total += f.size; total > rd.limit || total < 0 {
			return rd.fail("header", "the files declare more than the size budget of %d bytes", rd.limit)
		}
	}
	for _, s := range []int64{
		pkg.Signature.GetTag(sigTagPayloadSize).Int64(),
		pkg.Signature.GetTag(tagLongArchiveSize).Int64(),
		pkg.Header.GetTag(tagArchiveSize).Int64(),
		pkg.Header.GetTag(tagLongArchiveSize).Int64(),
	} {
		// A negative value is a 64-bit size over 2^63.
		if s > rd.limit || s < 0 {
			return rd.fail("header", "the payload declares %d bytes, over the size budget of %d bytes", uint64(s), rd.limit)
		}
	}
	return nil
}

// compression picks the payload's decompressor: the PAYLOADCOMPRESSOR
// tag, or the magic when the tag is absent (rpm then assumes gzip, whose
// reader passes an uncompressed stream through).
func (rd *reader) compression(tag string, head []byte) (decompress.Format, error) {
	sniffed := decompress.Sniff(head)
	var f decompress.Format
	switch tag {
	case "gzip":
		f = decompress.Gzip
	case "bzip2":
		f = decompress.Bzip2
	case "xz":
		f = decompress.XZ
	case "lzma":
		f = decompress.LZMA
	case "zstd":
		f = decompress.Zstd
	case "":
		if sniffed == decompress.None && !bytes.HasPrefix(head, []byte("07070")) {
			return "", rd.fail("payload", "no PAYLOADCOMPRESSOR tag and no known compression magic")
		}
		return sniffed, nil
	default:
		return "", rd.fail("payload", "unknown payload compressor %q", tag)
	}
	if sniffed != decompress.None && sniffed != f {
		return "", rd.fail("payload", "the header says %s but the payload is %s compressed", f, sniffed)
	}
	return f, nil
}

// cpio newc ("SVR4") header layout: 6 bytes of magic, then 13 fields of 8
// hex digits; the name (with its NUL) follows, padded to 4 bytes.
const (
	cpioHeaderSize = 110
	cpioMaxName    = 4096 // cavaliergopher/cpio's limit
	cpioTrailer    = "TRAILER!!!"
)

// walker walks the payload's members against the header's file list.
type walker struct {
	rd    *reader
	files map[string]*hfile
	sets  map[int64]*linkSet // hard-link sets by cpio inode
	order []int64            // inodes of sets, in the order first met
}

// linkSet is the members sharing one inode. cpio carries the data once,
// on the last member; the earlier ones wait here for it.
type linkSet struct {
	pending []linkMember
	primary string // the entry the others link to, once added
}

type linkMember struct {
	member string
	hf     *hfile
}

func (rd *reader) payload(br *bufio.Reader, compressor string, list []*hfile) error {
	head, err := br.Peek(6)
	if len(head) == 0 {
		if errors.Is(err, io.EOF) {
			return rd.fail("payload", "truncated: the file ends before the payload")
		}
		return rd.wrap("payload", "cannot read", err)
	}
	format, err := rd.compression(compressor, head)
	if err != nil {
		return err
	}
	rc, err := decompress.Open(rd.ctx, br, format, rd.opt.XZ, rd.budget)
	if err != nil {
		return rd.wrap("payload", "cannot decompress", err)
	}
	defer rc.Close()

	w := &walker{rd: rd, files: make(map[string]*hfile, len(list)), sets: map[int64]*linkSet{}}
	for _, f := range list {
		w.files[f.path] = f
	}
	// The buffer holds a whole member header, so the next one can be
	// looked at (Peek) before cavaliergopher/cpio consumes it: that is how
	// the stripped 07070X format is recognised, and how a stream that ends
	// without a trailer is told from one that ends with it (the library
	// reports io.EOF for both).
	dr := bufio.NewReaderSize(rc, 2*(cpioHeaderSize+cpioMaxName))
	cr := cpio.NewReader(dr)
	pad, last := 0, ""
	for {
		if err := rd.ctx.Err(); err != nil {
			return rd.wrap("payload", "cancelled", err)
		}
		raw, err := dr.Peek(pad + cpioHeaderSize)
		if err != nil {
			return rd.headerErr(len(raw) > pad, err)
		}
		h := raw[pad:]
		switch magic := string(h[:6]); magic {
		case "070701", "070702":
		case "07070X":
			return rd.fail("payload", "rpm's stripped cpio format (magic 07070X, used by rpm v6 packages and for files over 4 GiB) is not supported")
		default:
			return rd.fail("payload", "bad cpio magic %q%s", magic, after(last))
		}
		var field [14]uint64
		for i := 1; i < 14; i++ {
			v, err := strconv.ParseUint(string(h[6+8*(i-1):6+8*i]), 16, 32)
			if err != nil {
				return rd.fail("payload", "malformed cpio header%s", after(last))
			}
			field[i] = v
		}
		size, nameSize := field[7], field[12]
		if nameSize < 1 || nameSize > cpioMaxName {
			return rd.fail("payload", "cpio header with a name of %d bytes%s", nameSize, after(last))
		}
		raw, err = dr.Peek(pad + cpioHeaderSize + int(nameSize))
		if err != nil {
			return rd.headerErr(true, err)
		}
		if string(raw[pad+cpioHeaderSize:len(raw)-1]) == cpioTrailer {
			break
		}
		hdr, err := cr.Next()
		if err != nil {
			if errors.Is(err, cpio.ErrHeader) {
				return rd.fail("payload", "malformed cpio header%s", after(last))
			}
			return rd.streamErr("payload", err)
		}
		pad = int((4 - size%4) % 4)
		last = hdr.Name
		if err := w.member(cr, hdr); err != nil {
			return err
		}
	}
	if err := w.finish(); err != nil {
		return err
	}
	// Read to the end so the decompressor checks its trailer (gzip's CRC,
	// xz's and zstd's checksums) and a truncated stream is caught.
	if _, err := io.Copy(io.Discard, dr); err != nil {
		return rd.streamErr("payload", err)
	}
	for _, f := range list {
		if !f.seen && !f.ghost() {
			return rd.fail("payload", "%s is in the header but missing from the payload", f.path)
		}
	}
	return nil
}

func after(member string) string {
	if member == "" {
		return " at the start of the archive"
	}
	return " after member " + strconv.Quote(member)
}

// headerErr describes a failure to read the next cpio header; started
// tells a stream cut inside the header from one that stops between
// members.
func (rd *reader) headerErr(started bool, err error) error {
	if errors.Is(err, io.EOF) && started {
		return rd.fail("payload", "truncated: the payload ends inside a cpio header")
	}
	return rd.streamErr("payload", err)
}

// streamErr describes a failure to read the decompressed stream.
func (rd *reader) streamErr(member string, err error) error {
	switch {
	case errors.Is(err, decompress.ErrBudget):
		return rd.wrap(member, "refused", err)
	case errors.Is(err, io.EOF):
		return rd.fail(member, "truncated: the cpio archive ends without its trailer")
	}
	return rd.wrap(member, "corrupt or truncated", err)
}

// body reads exactly size bytes of the current member, keeping them when
// keep is set (a non-nil slice, even when empty).
func (rd *reader) body(member string, r io.Reader, size int64, keep bool) ([]byte, error) {
	var err error
	var data []byte
	if keep {
		if size > pkgmodel.MaxKept {
			return nil, rd.fail(member, "%d bytes, over the %d byte limit for a file the analysis reads", size, pkgmodel.MaxKept)
		}
		data = make([]byte, size)
		_, err = io.ReadFull(r, data)
	} else {
		_, err = io.CopyN(io.Discard, r, size)
	}
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// cavaliergopher/cpio turns the stream's own error into io.EOF
		// only when the stream ended; a decoder error comes through.
		return nil, rd.fail(member, "truncated: the payload ends inside this member")
	}
	return nil, rd.streamErr(member, err)
}

// entry is the model entry for a header file: everything but the
// contents comes from the header.
func entry(hf *hfile) pkgmodel.Entry {
	t, _ := typeOf(hf.mode)
	// The header names owners; their numeric ids are assigned on the
	// installing system, except root's.
	e := pkgmodel.Entry{Path: hf.path, Type: t, Mode: fileMode(hf.mode), UID: -1, GID: -1,
		Owner: hf.owner, Group: hf.group}
	if hf.owner == "root" {
		e.UID = 0
	}
	if hf.group == "root" {
		e.GID = 0
	}
	switch t {
	case tree.Regular:
		e.Size = hf.size
	case tree.Symlink:
		e.Link = hf.link
	}
	return e
}

func (w *walker) add(member string, e pkgmodel.Entry, data []byte) error {
	if err := w.rd.b.Add(e, data); err != nil {
		return w.rd.fail(member, "%v", err)
	}
	return nil
}

// member checks one payload member against the header and records it.
func (w *walker) member(cr *cpio.Reader, hdr *cpio.Header) error {
	rd := w.rd
	member := "payload: " + hdr.Name
	p, err := pkgmodel.CleanMember(hdr.Name)
	if err != nil {
		return rd.fail(member, "%v", err)
	}
	hf := w.files[p]
	switch {
	case hf == nil:
		return rd.fail(member, "not in the package header")
	case hf.seen:
		return rd.fail(member, "appears twice in the payload")
	case hf.ghost():
		return rd.fail(member, "a %%ghost file in the header, yet present in the payload")
	}
	hf.seen = true
	want, _ := typeOf(hf.mode)
	if got, ok := typeOf(int64(hdr.Mode)); !ok || got != want {
		return rd.fail(member, "file type %#o in the payload, %#o in the header", hdr.Mode&cpio.ModeType, hf.mode&0o170000)
	}
	e := entry(hf)
	switch want {
	case tree.Regular:
		if hdr.Links > 1 {
			return w.hardLink(cr, member, hdr, hf)
		}
		if hdr.Size != hf.size {
			return rd.fail(member, "%d bytes in the payload, %d in the header", hdr.Size, hf.size)
		}
		data, err := rd.body(member, cr, hdr.Size, pkgmodel.Interesting(p))
		if err != nil {
			return err
		}
		return w.add(member, e, data)
	case tree.Symlink:
		if hdr.Linkname != hf.link {
			return rd.fail(member, "symlink to %q in the payload, to %q in the header", hdr.Linkname, hf.link)
		}
	}
	// Directories and devices carry no data in rpm's payloads; skip any.
	if _, err := rd.body(member, cr, hdr.Size, false); err != nil {
		return err
	}
	return w.add(member, e, nil)
}

// hardLink handles a member of a hard-link set. rpm writes every member
// of the set and puts the data on the last one (earlier ones have size
// 0), so members wait until the data arrives; then one of them becomes
// the regular entry — a kept one if any, so its contents are read — and
// the others hard links to it, which pkgmodel.Builder requires to come
// later.
func (w *walker) hardLink(cr *cpio.Reader, member string, hdr *cpio.Header, hf *hfile) error {
	rd := w.rd
	if hdr.Size != 0 && hdr.Size != hf.size {
		return rd.fail(member, "%d bytes in the payload, %d in the header", hdr.Size, hf.size)
	}
	set := w.sets[hdr.Inode]
	if set == nil {
		set = &linkSet{}
		w.sets[hdr.Inode] = set
		w.order = append(w.order, hdr.Inode)
	}
	if set.primary != "" {
		if hdr.Size != 0 {
			return rd.fail(member, "a second copy of the data of the hard-link set of %s", set.primary)
		}
		e := entry(hf)
		e.HardLink, e.Link = true, set.primary
		return w.add(member, e, nil)
	}
	for _, m := range set.pending {
		if m.hf.size != hf.size {
			return rd.fail(member, "hard link to %s, whose header size differs", m.hf.path)
		}
	}
	set.pending = append(set.pending, linkMember{member, hf})
	if hdr.Size == 0 && len(set.pending) < hdr.Links {
		return nil
	}
	if hdr.Size == 0 && hf.size != 0 {
		return rd.fail(member, "the hard-link set of %s ends without its data", set.pending[0].hf.path)
	}
	keep := false
	for _, m := range set.pending {
		keep = keep || pkgmodel.Interesting(m.hf.path)
	}
	data, err := rd.body(member, cr, hdr.Size, keep)
	if err != nil {
		return err
	}
	return w.flush(set, data)
}

// flush adds a hard-link set whose data is known.
func (w *walker) flush(set *linkSet, data []byte) error {
	pi := len(set.pending) - 1
	for i, m := range set.pending {
		if pkgmodel.Interesting(m.hf.path) {
			pi = i
			break
		}
	}
	prim := set.pending[pi]
	if err := w.add(prim.member, entry(prim.hf), data); err != nil {
		return err
	}
	set.primary = prim.hf.path
	for i, m := range set.pending {
		if i == pi {
			continue
		}
		e := entry(m.hf)
		e.HardLink, e.Link = true, set.primary
		if err := w.add(m.member, e, nil); err != nil {
			return err
		}
	}
	set.pending = nil
	return nil
}

// finish flushes hard-link sets still waiting at the trailer: fine for
// empty files, an error when the data never came.
func (w *walker) finish() error {
	for _, ino := range w.order {
		set := w.sets[ino]
		if len(set.pending) == 0 {
			continue
		}
		first := set.pending[0]
		if first.hf.size != 0 {
			return w.rd.fail(first.member, "the hard-link set of %s ends without its data", first.hf.path)
		}
		if err := w.flush(set, []byte{}); err != nil {
			return err
		}
	}
	return nil
}
