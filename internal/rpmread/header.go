package rpmread

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/cavaliergopher/rpm"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Header tags read here (rpm's include/rpm/rpmtag.h). cavaliergopher/rpm
// has helpers for only a few of them.
const (
	tagHeaderImage      = 61
	tagHeaderSignatures = 62
	tagHeaderImmutable  = 63

	tagLongArchiveSize = 271  // also RPMSIGTAG_LONGARCHIVESIZE in the signature header
	sigTagPayloadSize  = 1007 // 32-bit uncompressed payload size (signature header)

	tagEpoch           = 1003
	tagSummary         = 1004
	tagLicense         = 1014
	tagURL             = 1020
	tagPreIn           = 1023
	tagPostIn          = 1024
	tagPreUn           = 1025
	tagPostUn          = 1026
	tagOldFilenames    = 1027
	tagFileSizes       = 1028
	tagFileModes       = 1030
	tagFileLinkTos     = 1036
	tagFileFlags       = 1037
	tagFileUserName    = 1039
	tagFileGroupName   = 1040
	tagArchiveSize     = 1046
	tagProvideName     = 1047
	tagRequireFlags    = 1048
	tagRequireName     = 1049
	tagRequireVersion  = 1050
	tagConflictFlags   = 1053
	tagConflictName    = 1054
	tagConflictVersion = 1055
	tagTriggerScripts  = 1065
	tagTriggerName     = 1066
	tagTriggerVersion  = 1067
	tagTriggerFlags    = 1068
	tagTriggerIndex    = 1069
	tagVerifyScript    = 1079
	tagPreInProg       = 1085
	tagPostInProg      = 1086
	tagPreUnProg       = 1087
	tagPostUnProg      = 1088
	tagObsoleteName    = 1090
	tagVerifyProg      = 1091
	tagTriggerProg     = 1092
	tagFileDevices     = 1095
	tagFileInodes      = 1096
	tagSourcePackage   = 1106
	tagProvideFlags    = 1112
	tagProvideVersion  = 1113
	tagObsoleteFlags   = 1114
	tagObsoleteVersion = 1115
	tagDirIndexes      = 1116
	tagBaseNames       = 1117
	tagDirNames        = 1118
	tagPayloadFormat   = 1124
	tagPayloadCompr    = 1125
	tagPreTrans        = 1151
	tagPostTrans       = 1152
	tagPreTransProg    = 1153
	tagPostTransProg   = 1154
	tagLongFileSizes   = 5008

	tagFileTriggerScripts      = 5066
	tagFileTriggerProg         = 5067
	tagFileTriggerName         = 5069
	tagFileTriggerIndex        = 5070
	tagFileTriggerFlags        = 5072
	tagTransFileTriggerScripts = 5076
	tagTransFileTriggerProg    = 5077
	tagTransFileTriggerName    = 5079
	tagTransFileTriggerIndex   = 5080
	tagTransFileTriggerFlags   = 5082

	tagPreUnTrans      = 5103 // rpm ≥ 4.20
	tagPostUnTrans     = 5104
	tagPreUnTransProg  = 5105
	tagPostUnTransProg = 5106
)

// File flags (RPMTAG_FILEFLAGS) and dependency senses (rpmds.h).
const (
	fileConfig = 1 << 0
	fileGhost  = 1 << 6

	senseLess          = 1 << 1
	senseGreater       = 1 << 2
	senseEqual         = 1 << 3
	senseTriggerIn     = 1 << 16
	senseTriggerUn     = 1 << 17
	senseTriggerPostUn = 1 << 18
	senseTriggerPreIn  = 1 << 25
)

// Header value types.
const (
	typeNull = iota
	typeChar
	typeInt8
	typeInt16
	typeInt32
	typeInt64
	typeString
	typeBinary
	typeStringArray
	typeI18NString
)

// Limits on one header structure. cavaliergopher/rpm allocates before it
// checks bounds and slices past its buffer on some malformed entries, so
// every header is checked here first, the way rpm's hdrblobVerifyInfo
// does, and only a header that passes is handed to the library.
const (
	leadSize   = 96
	maxIndex   = 0xffff   // rpm's hdrchkTags
	maxStore   = 32 << 20 // the library's own r_MaxHeaderSize
	maxDecoded = 128 << 20
)

var (
	leadMagic   = []byte{0xed, 0xab, 0xee, 0xdb}
	headerMagic = []byte{0x8e, 0xad, 0xe8, 0x01}
)

// readLead reads and checks the 96-byte lead.
func (rd *reader) readLead(r io.Reader) ([]byte, error) {
	lead := make([]byte, leadSize)
	if n, err := io.ReadFull(r, lead); err != nil {
		if n >= 4 && bytes.Equal(lead[:4], leadMagic) {
			return nil, rd.fail("", "truncated: the file ends inside the lead (%d of %d bytes)", n, leadSize)
		}
		return nil, rd.fail("", "not an rpm package (no lead magic)")
	}
	if !bytes.Equal(lead[:4], leadMagic) {
		return nil, rd.fail("", "not an rpm package (no lead magic)")
	}
	if major := lead[4]; major < 3 || major > 4 {
		return nil, rd.fail("", "unsupported rpm lead version %d", major)
	}
	if sigType := binary.BigEndian.Uint16(lead[78:80]); sigType != 5 {
		return nil, rd.fail("", "unsupported signature type %d (only header-style signatures)", sigType)
	}
	return lead, nil
}

// readBlob reads one header structure (intro, index, store), checks it and
// returns its bytes. pad reads the alignment after the signature header.
func (rd *reader) readBlob(r io.Reader, member string, pad bool) ([]byte, error) {
	intro := make([]byte, 16)
	if n, err := io.ReadFull(r, intro); err != nil {
		return nil, rd.fail(member, "truncated: the file ends %d bytes into the header intro", n)
	}
	if !bytes.Equal(intro[:4], headerMagic) {
		return nil, rd.fail(member, "bad header magic %x", intro[:4])
	}
	il := int64(binary.BigEndian.Uint32(intro[8:12]))
	dl := int64(binary.BigEndian.Uint32(intro[12:16]))
	if il < 1 || il > maxIndex {
		return nil, rd.fail(member, "%d index entries (1 to %d allowed)", il, maxIndex)
	}
	if dl > maxStore {
		return nil, rd.fail(member, "a data store of %d bytes, over the %d byte limit", dl, maxStore)
	}
	padding := int64(0)
	if pad {
		padding = (8 - dl%8) % 8
	}
	blob := make([]byte, 16+16*il+dl+padding)
	copy(blob, intro)
	if n, err := io.ReadFull(r, blob[16:]); err != nil {
		return nil, rd.fail(member, "truncated: the file ends %d bytes into a header of %d", 16+n, len(blob))
	}
	if err := verifyIndex(blob[16:16+16*il], blob[16+16*il:16+16*il+dl]); err != nil {
		return nil, rd.fail(member, "%v", err)
	}
	return blob, nil
}

// verifyIndex checks that every index entry's data lies inside the store,
// that entries do not overlap (as rpm requires) and that decoding the
// header cannot take more than maxDecoded bytes of memory.
func verifyIndex(index, store []byte) error {
	dl := int64(len(store))
	var end, decoded int64
	for i := 0; i < len(index)/16; i++ {
		e := index[i*16 : i*16+16]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := int64(binary.BigEndian.Uint32(e[8:12]))
		cnt := int64(binary.BigEndian.Uint32(e[12:16]))
		if typ > typeI18NString {
			return fmt.Errorf("index entry %d (tag %d) has unknown type %d", i, tag, typ)
		}
		if cnt < 1 {
			return fmt.Errorf("index entry %d (tag %d) has no values", i, tag)
		}
		if off >= dl {
			return fmt.Errorf("index entry %d (tag %d) points outside the data store", i, tag)
		}
		length, cost, err := dataLength(typ, store, off, cnt)
		if err != nil {
			return fmt.Errorf("index entry %d (tag %d): %v", i, tag, err)
		}
		decoded += cost + 64
		if decoded > maxDecoded {
			return fmt.Errorf("decoding the header would take over %d bytes", maxDecoded)
		}
		if i == 0 && (tag == tagHeaderImage || tag == tagHeaderSignatures || tag == tagHeaderImmutable) {
			// The region tag points at the trailer at the end of the
			// store; rpm leaves it out of the ordering check too.
			continue
		}
		if off < end {
			return fmt.Errorf("index entry %d (tag %d) overlaps the previous entry's data", i, tag)
		}
		end = off + length
	}
	return nil
}

// dataLength returns the bytes an entry occupies in the store and what
// cavaliergopher/rpm allocates to decode it.
func dataLength(typ uint32, store []byte, off, cnt int64) (length, cost int64, err error) {
	dl := int64(len(store))
	size := int64(0)
	switch typ {
	case typeNull:
		return 0, 0, nil
	case typeChar, typeInt8, typeBinary:
		size = 1
	case typeInt16:
		size = 2
	case typeInt32:
		size = 4
	case typeInt64:
		size = 8
	default: // strings
		if typ == typeString && cnt != 1 {
			return 0, 0, fmt.Errorf("a STRING with %d values", cnt)
		}
		if cnt > dl-off {
			return 0, 0, fmt.Errorf("%d strings do not fit in the data store", cnt)
		}
		p := off
		for s := int64(0); s < cnt; s++ {
			nul := bytes.IndexByte(store[p:], 0)
			if nul < 0 {
				return 0, 0, fmt.Errorf("string %d is not terminated inside the data store", s)
			}
			p += int64(nul) + 1
		}
		return p - off, 16*cnt + (p - off), nil
	}
	if cnt > (dl-off)/size {
		return 0, 0, fmt.Errorf("%d values of %d bytes do not fit in the data store", cnt, size)
	}
	if size == 1 {
		return cnt, cnt, nil
	}
	return cnt * size, cnt * 8, nil
}

// parseHeaders hands the checked lead and headers to cavaliergopher/rpm.
// A panic inside the library (on a header shape the checks above missed)
// becomes an error rather than a crash.
func (rd *reader) parseHeaders(raw []byte) (pkg *rpm.Package, err error) {
	defer func() {
		if p := recover(); p != nil {
			pkg, err = nil, rd.fail("header", "malformed header (the rpm library failed: %v)", p)
		}
	}()
	pkg, err = rpm.Read(bytes.NewReader(raw))
	if err != nil {
		return nil, rd.wrap("header", "malformed header", err)
	}
	return pkg, nil
}

// hfile is one file of the header's file list.
type hfile struct {
	path  string // clean absolute path
	mode  int64  // st_mode
	size  int64
	owner string
	group string
	flags int64
	link  string
	node  [2]int64 // device and inode, for hard links; {-1, i} when unknown
	seen  bool     // met in the payload
}

func (f *hfile) ghost() bool { return f.flags&fileGhost != 0 }

// typeOf maps st_mode's file type to the tree type; ok is false for a
// type rpm does not know.
func typeOf(mode int64) (t tree.Type, ok bool) {
	switch mode & 0o170000 {
	case 0o100000:
		return tree.Regular, true
	case 0o040000:
		return tree.Dir, true
	case 0o120000:
		return tree.Symlink, true
	case 0o010000, 0o020000, 0o060000, 0o140000:
		return tree.Other, true
	}
	return 0, false
}

// fileMode converts st_mode to fs.FileMode (type bits differ).
func fileMode(mode int64) fs.FileMode {
	m := fs.FileMode(mode & 0o777)
	switch mode & 0o170000 {
	case 0o040000:
		m |= fs.ModeDir
	case 0o120000:
		m |= fs.ModeSymlink
	case 0o060000:
		m |= fs.ModeDevice
	case 0o020000:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case 0o010000:
		m |= fs.ModeNamedPipe
	case 0o140000:
		m |= fs.ModeSocket
	}
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// files reads the file list from the raw tags. Package.Files() of
// cavaliergopher/rpm is not used: it indexes FILESIZES without checking
// and panics on headers that carry only LONGFILESIZES (rpm v6 packages
// and v4 packages with files over 4 GiB), and it indexes every other
// array the same way.
func (rd *reader) files(h *rpm.Header) ([]*hfile, error) {
	var names []string
	if base := h.GetTag(tagBaseNames); base != nil {
		names = base.StringSlice()
		dirs := h.GetTag(tagDirNames).StringSlice()
		idx := h.GetTag(tagDirIndexes).Int64Slice()
		if names == nil || len(idx) != len(names) {
			return nil, rd.fail("header", "BASENAMES and DIRINDEXES disagree (%d and %d entries)", len(names), len(idx))
		}
		full := make([]string, len(names))
		for i, b := range names {
			if idx[i] < 0 || idx[i] >= int64(len(dirs)) {
				return nil, rd.fail("header", "file %q has directory index %d, outside the %d DIRNAMES", b, idx[i], len(dirs))
			}
			full[i] = dirs[idx[i]] + b
		}
		names = full
	} else {
		names = h.GetTag(tagOldFilenames).StringSlice()
	}
	n := len(names)
	if n == 0 {
		return nil, nil
	}
	modes := h.GetTag(tagFileModes).Int64Slice()
	if len(modes) != n {
		return nil, rd.fail("header", "FILEMODES has %d entries for %d files", len(modes), n)
	}
	// rpm writes FILESIZES (32-bit) or, when a file is over 4 GiB and in
	// every v6 package, LONGFILESIZES (64-bit) alone.
	sizes := h.GetTag(tagLongFileSizes).Int64Slice()
	if sizes == nil {
		sizes = h.GetTag(tagFileSizes).Int64Slice()
	}
	if len(sizes) != n {
		return nil, rd.fail("header", "neither FILESIZES nor LONGFILESIZES has one entry per file (%d files)", n)
	}
	strs := func(tag int, what string) ([]string, error) {
		v := h.GetTag(tag).StringSlice()
		if v == nil {
			return make([]string, n), nil
		}
		if len(v) != n {
			return nil, rd.fail("header", "%s has %d entries for %d files", what, len(v), n)
		}
		return v, nil
	}
	owners, err := strs(tagFileUserName, "FILEUSERNAME")
	if err != nil {
		return nil, err
	}
	groups, err := strs(tagFileGroupName, "FILEGROUPNAME")
	if err != nil {
		return nil, err
	}
	links, err := strs(tagFileLinkTos, "FILELINKTOS")
	if err != nil {
		return nil, err
	}
	flags := h.GetTag(tagFileFlags).Int64Slice()
	if flags == nil {
		flags = make([]int64, n)
	} else if len(flags) != n {
		return nil, rd.fail("header", "FILEFLAGS has %d entries for %d files", len(flags), n)
	}
	devs, inos := h.GetTag(tagFileDevices).Int64Slice(), h.GetTag(tagFileInodes).Int64Slice()
	out := make([]*hfile, n)
	seen := make(map[string]bool, n)
	for i, name := range names {
		if !strings.HasPrefix(name, "/") {
			return nil, rd.fail("header", "file name %q is not absolute", name)
		}
		p, err := pkgmodel.CleanMember(strings.TrimLeft(name, "/"))
		if err != nil {
			return nil, rd.fail("header", "%s: %v", name, err)
		}
		if seen[p] {
			return nil, rd.fail("header", "%s is listed twice", name)
		}
		seen[p] = true
		if sizes[i] < 0 {
			return nil, rd.fail("header", "%s: negative size", name)
		}
		if _, ok := typeOf(modes[i]); !ok {
			return nil, rd.fail("header", "%s: unknown file type in mode %#o", name, modes[i])
		}
		out[i] = &hfile{path: p, mode: modes[i], size: sizes[i], owner: owners[i], group: groups[i], flags: flags[i], link: links[i],
			node: [2]int64{-1, int64(i)}}
		if len(devs) == n && len(inos) == n {
			out[i].node = [2]int64{devs[i], inos[i]}
		}
	}
	// The payload's order is not to be trusted (rpm itself defers hard
	// links to the end), so the rule "nothing below a symlink of the same
	// package" is checked on the whole list here; pkgmodel.Builder checks
	// it again in payload order.
	symlinks := map[string]bool{}
	for _, f := range out {
		if t, _ := typeOf(f.mode); t == tree.Symlink && !f.ghost() {
			symlinks[f.path] = true
		}
	}
	for _, f := range out {
		for d := path.Dir(f.path); d != "/"; d = path.Dir(d) {
			if symlinks[d] && !f.ghost() {
				return nil, rd.fail("header", "%s goes through the symlink %s shipped in the same package", f.path, d)
			}
		}
	}
	return out, nil
}

// scriptlets in the order rpm runs them on an install, then the erase ones.
var scriptlets = []struct {
	name       string
	text, prog int
}{
	{"%pretrans", tagPreTrans, tagPreTransProg},
	{"%pre", tagPreIn, tagPreInProg},
	{"%post", tagPostIn, tagPostInProg},
	{"%preun", tagPreUn, tagPreUnProg},
	{"%postun", tagPostUn, tagPostUnProg},
	{"%posttrans", tagPostTrans, tagPostTransProg},
	{"%preuntrans", tagPreUnTrans, tagPreUnTransProg},
	{"%postuntrans", tagPostUnTrans, tagPostUnTransProg},
	{"%verifyscript", tagVerifyScript, tagVerifyProg},
}

// interp is a scriptlet's interpreter: a PROG tag is a STRING in old
// packages and a STRING_ARRAY (program and arguments) in newer ones.
func interp(t *rpm.Tag) string {
	if v := t.StringSlice(); len(v) > 0 {
		return strings.Join(v, " ")
	}
	return "/bin/sh"
}

// scripts reads the scriptlets, triggers and file triggers.
func (rd *reader) scripts(h *rpm.Header) ([]pkgmodel.Script, error) {
	var out []pkgmodel.Script
	for _, s := range scriptlets {
		text, prog := h.GetTag(s.text), h.GetTag(s.prog)
		if text == nil && prog == nil {
			continue
		}
		out = append(out, pkgmodel.Script{Name: s.name, Interpreter: interp(prog), Text: text.String()})
	}
	trig, err := rd.triggers(h, "", tagTriggerScripts, tagTriggerProg, tagTriggerName, tagTriggerIndex, tagTriggerFlags, tagTriggerVersion)
	if err != nil {
		return nil, err
	}
	out = append(out, trig...)
	for _, t := range []struct {
		prefix                          string
		scripts, prog, name, idx, flags int
	}{
		{"file", tagFileTriggerScripts, tagFileTriggerProg, tagFileTriggerName, tagFileTriggerIndex, tagFileTriggerFlags},
		{"transfile", tagTransFileTriggerScripts, tagTransFileTriggerProg, tagTransFileTriggerName, tagTransFileTriggerIndex, tagTransFileTriggerFlags},
	} {
		ft, err := rd.triggers(h, t.prefix, t.scripts, t.prog, t.name, t.idx, t.flags, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, ft...)
	}
	return out, nil
}

// triggers reads one family of triggers: script i runs when any of the
// conditions whose index is i holds. versionTag is 0 for file triggers,
// whose conditions are path prefixes.
func (rd *reader) triggers(h *rpm.Header, prefix string, scriptsTag, progTag, nameTag, idxTag, flagsTag, versionTag int) ([]pkgmodel.Script, error) {
	scripts := h.GetTag(scriptsTag).StringSlice()
	if len(scripts) == 0 {
		return nil, nil
	}
	what := strings.ToUpper(prefix) + "TRIGGER"
	progs := h.GetTag(progTag).StringSlice()
	names := h.GetTag(nameTag).StringSlice()
	idx := h.GetTag(idxTag).Int64Slice()
	flags := h.GetTag(flagsTag).Int64Slice()
	var versions []string
	if versionTag != 0 {
		versions = h.GetTag(versionTag).StringSlice()
	}
	if len(idx) != len(names) || len(flags) != len(names) || (versions != nil && len(versions) != len(names)) {
		return nil, rd.fail("header", "the %s tags disagree on the number of conditions", what)
	}
	if progs != nil && len(progs) != len(scripts) {
		return nil, rd.fail("header", "%sSCRIPTPROG has %d entries for %d scripts", what, len(progs), len(scripts))
	}
	out := make([]pkgmodel.Script, len(scripts))
	var conds = make([][]string, len(scripts))
	for i, s := range scripts {
		out[i] = pkgmodel.Script{Interpreter: "/bin/sh", Text: s}
		if progs != nil && progs[i] != "" {
			out[i].Interpreter = progs[i]
		}
	}
	for j, name := range names {
		i := idx[j]
		if i < 0 || i >= int64(len(scripts)) {
			return nil, rd.fail("header", "%s condition %q names script %d of %d", what, name, i, len(scripts))
		}
		if out[i].Name == "" {
			out[i].Name = "%" + prefix + triggerKind(flags[j])
		}
		c := name
		if versions != nil && versions[j] != "" {
			c += " " + senseOp(flags[j]) + " " + versions[j]
		}
		conds[i] = append(conds[i], c)
	}
	for i := range out {
		if out[i].Name == "" {
			return nil, rd.fail("header", "%s script %d has no condition", what, i)
		}
		out[i].Condition = strings.Join(conds[i], ", ")
	}
	return out, nil
}

func triggerKind(flags int64) string {
	switch {
	case flags&senseTriggerPreIn != 0:
		return "triggerprein"
	case flags&senseTriggerUn != 0:
		return "triggerun"
	case flags&senseTriggerPostUn != 0:
		return "triggerpostun"
	}
	return "triggerin"
}

func senseOp(flags int64) string {
	var b strings.Builder
	if flags&senseLess != 0 {
		b.WriteByte('<')
	}
	if flags&senseGreater != 0 {
		b.WriteByte('>')
	}
	if flags&senseEqual != 0 {
		b.WriteByte('=')
	}
	return b.String()
}

// deps renders one dependency list ("systemd, foo >= 1.0") without the
// library's helpers, which index the parallel arrays unchecked.
func deps(h *rpm.Header, nameTag, flagsTag, versionTag int) string {
	names := h.GetTag(nameTag).StringSlice()
	flags := h.GetTag(flagsTag).Int64Slice()
	vers := h.GetTag(versionTag).StringSlice()
	var out []string
	seen := map[string]bool{}
	for i, n := range names {
		if strings.HasPrefix(n, "rpmlib(") {
			continue // rpm's own feature markers, not package relations
		}
		if i < len(vers) && i < len(flags) && vers[i] != "" {
			n += " " + senseOp(flags[i]) + " " + vers[i]
		}
		// Requires(pre), Requires(post)… of one name repeat it.
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}
