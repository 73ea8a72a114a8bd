// Package debwrite writes a rewritten copy of a built .deb that ships
// extra files — the drop-ins `apply` generates — and changes nothing else
// it does not have to (Contracts: Rewritten .deb).
//
// What changes:
//   - data.tar gets the new files, plus any missing parent directories
//     (0755 root:root), each where `dpkg-deb -b` would have put it, with
//     GNU tar headers byte-identical to the ones dpkg-deb's tar writes.
//     Every other entry is copied byte for byte from the input stream
//     (headers, long-name and PAX records, data, padding), so order,
//     owners, modes and mtimes are untouched. A path the package already
//     ships as a regular file is kept when its contents and mode are the
//     ones asked for (a re-run is idempotent) and otherwise replaced in
//     place: that is how a re-run of apply with another tier replaces the
//     drop-in it wrote before.
//   - control.tar: md5sums gets (or has replaced) a line per new file
//     that is not a conffile, and control gets the new Version, Source and
//     Installed-Size; every other member, and every other byte of those
//     two, is kept.
//   - The members are compressed in-process with fixed parameters in
//     their original formats (compress.go); a member whose contents did
//     not change is copied compressed, as it was.
//
// The input is read through the same code that reads packages for the
// analysis (debread), so a hostile or malformed package is refused before
// anything is written, and the output is read back the same way before it
// is renamed into place.
package debwrite

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"pault.ag/go/debian/deb"

	"github.com/systemd-harden/systemd-harden/internal/arwriter"
	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// File is a file to add to the package.
type File struct {
	// Path is absolute in the package, e.g.
	// /lib/systemd/system/foo.service.d/10-systemd-harden.conf.
	Path string
	// Mode holds the permission bits (0 to 0777); 0 means 0644.
	Mode int64
	Data []byte
}

// Options tune Rewrite.
type Options struct {
	// KeepVersion keeps the Version field; by default it gets Suffix
	// (unless it already ends with it: re-running on a rewritten package
	// does not stack suffixes), and Source becomes "<src> (<original
	// source version>)" as dpkg-gencontrol writes it when binary and
	// source versions differ.
	KeepVersion bool
	// StripSignatures drops signature members (_gpgorigin, _gpgbuilder,
	// …) instead of refusing the package: they sign the original bytes
	// and would not verify on the rewrite.
	StripSignatures bool
	// SourceDateEpoch is the mtime of new tar entries and of the ar
	// members that change. nil means $SOURCE_DATE_EPOCH when set, else
	// the newest mtime in data.tar, so the result depends on the input
	// alone.
	SourceDateEpoch *int64
	// Suffix is appended to the version; "" means DefaultSuffix.
	Suffix string
}

// DefaultSuffix marks a rewritten package's version so it cannot be
// mistaken for the archive's.
const DefaultSuffix = "+harden1"

// maxControlTar bounds the decompressed control.tar, held in memory.
const maxControlTar = 256 << 20

// Rewrite reads the .deb at in (never modifying it) and writes the
// rewritten package to out, through a temporary file in out's directory
// that is renamed into place. It returns the package's new version.
//
// Errors are *pkgmodel.Error naming in (or out, for a failure to write)
// first. On any error nothing is left behind: no output, no temporary file.
//
// Refused: a package the reader refuses (hostile or malformed), signed
// packages and unknown "_" members unless StripSignatures, bzip2 or lzma
// data (no reproducible writer), files with an unclean, relative or
// ".." path, a path through a symlink or non-directory the package
// ships, a path the package ships as anything but a plain regular file
// (directory, symlink, hard link or hard-link target), and out == in.
//
// Left as they are: a package without md5sums gets none, a control file
// without Installed-Size gets none. The data.tar trailer follows the
// input: padded to GNU tar's 10240-byte records, as dpkg-deb writes it,
// when the input was.
func Rewrite(ctx context.Context, in, out string, files []File, opt Options) (version string, err error) {
	fail := func(member, msg string, err error) error {
		var pe *pkgmodel.Error
		if errors.As(err, &pe) {
			return err
		}
		return &pkgmodel.Error{Package: in, Member: member, Msg: msg, Err: err}
	}
	suffix := opt.Suffix
	if suffix == "" {
		suffix = DefaultSuffix
	}
	if err := checkSuffix(suffix); err != nil {
		return "", fail("", "bad option", err)
	}
	targets, err := checkFiles(files)
	if err != nil {
		return "", fail("", "refused file to add", err)
	}
	epoch, epochSet, err := epochFromOptions(opt)
	if err != nil {
		return "", fail("", "bad source date epoch", err)
	}
	if err := checkOut(in, out); err != nil {
		return "", &pkgmodel.Error{Package: out, Msg: "cannot write here", Err: err}
	}
	method, err := decompress.ParseMethod("")
	if err != nil {
		return "", fail("", "bad environment", err)
	}

	f, err := os.Open(in)
	if err != nil {
		return "", fail("", "cannot open", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fail("", "cannot stat", err)
	}
	if !st.Mode().IsRegular() {
		return "", fail("", "not a regular file", nil)
	}
	size := st.Size()

	// A data member we cannot write again is refused first, with that
	// reason, rather than with whatever the reader makes of it.
	m, lerr := listMembers(f, opt.StripSignatures)
	if lerr == nil {
		dataFormat, err := decompress.FromSuffix(m.data.Name)
		if err != nil {
			return "", fail(m.data.Name, "refused", err)
		}
		if !canCompress(dataFormat) {
			return "", fail(m.data.Name, "refused", fmt.Errorf("%s; rebuild the package with xz, gzip or zstd", whyNot(dataFormat)))
		}
	}
	// Validate the whole package with the reader: it refuses hostile
	// member names, links through symlinks, over-budget data and
	// malformed archives, and gives the entries to plan against.
	pkg, err := debread.ReadFrom(ctx, in, f, size, debread.Options{XZ: method})
	if err != nil {
		return "", err
	}
	if lerr != nil {
		return "", fail(m.failMember, "refused", lerr)
	}
	dataFormat, _ := decompress.FromSuffix(m.data.Name)
	controlFormat, err := decompress.FromSuffix(m.control.Name)
	if err != nil {
		return "", fail(m.control.Name, "refused", err)
	}
	newDirs, err := planFiles(pkg, targets)
	if err != nil {
		return "", fail("", "refused file to add", err)
	}

	// Pass 1 over data.tar: mtimes, naming style, files already in place.
	scan, err := withMember(ctx, m.data, dataFormat, method, func(r io.Reader) (scanResult, error) {
		return scanData(ctx, r, targets)
	})
	if err != nil {
		return "", fail(m.data.Name, "cannot read", err)
	}
	if !epochSet {
		epoch = scan.maxMtime
	}
	if epoch < 0 || epoch > arwriter.MaxMtime || epoch > maxOctal11 {
		return "", fail("", "bad source date epoch", fmt.Errorf("%d is out of range", epoch))
	}

	ed, sizeDelta, md5, err := planData(pkg, targets, newDirs, scan.dotSlash, epoch)
	if err != nil {
		return "", fail(m.data.Name, "cannot add", err)
	}

	// control.tar: new control and md5sums contents.
	ctlTar, err := withMember(ctx, m.control, controlFormat, method, func(r io.Reader) ([]byte, error) {
		b, err := io.ReadAll(io.LimitReader(r, maxControlTar+1))
		if err == nil && len(b) > maxControlTar {
			err = fmt.Errorf("over the %d byte limit", maxControlTar)
		}
		return b, err
	})
	if err != nil {
		return "", fail(m.control.Name, "cannot read", err)
	}
	newCtl, vp, err := rewriteControl(ctx, ctlTar, opt.KeepVersion, suffix, sizeDelta, md5)
	if err != nil {
		return "", fail(m.control.Name, "cannot rewrite", err)
	}
	controlChanged := !bytes.Equal(newCtl, ctlTar)
	if controlChanged && !canCompress(controlFormat) {
		return "", fail(m.control.Name, "refused", fmt.Errorf("%s; rebuild the package with xz, gzip or zstd", whyNot(controlFormat)))
	}

	if !controlChanged {
		newCtl = nil
	}

	// Everything is decided; from here on files are written.
	w := output{in: in, out: out, epoch: epoch, method: method, members: m, dataFormat: dataFormat, controlFormat: controlFormat}
	if err := w.write(ctx, ed, newCtl, targets, vp.newVersion); err != nil {
		return "", err
	}
	return vp.newVersion, nil
}

// epochFromOptions resolves Options.SourceDateEpoch and
// $SOURCE_DATE_EPOCH; set is false when neither gives one (then the
// newest mtime in data.tar is used).
func epochFromOptions(opt Options) (epoch int64, set bool, err error) {
	if opt.SourceDateEpoch != nil {
		return *opt.SourceDateEpoch, true, nil
	}
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false, fmt.Errorf("$SOURCE_DATE_EPOCH %q is not a non-negative integer", s)
	}
	return n, true, nil
}

// checkOut refuses an output that is the input itself (the rename would
// replace it) or whose directory does not exist.
func checkOut(in, out string) error {
	if out == "" {
		return fmt.Errorf("no output path")
	}
	if st, err := os.Stat(filepath.Dir(out)); err != nil {
		return err
	} else if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", filepath.Dir(out))
	}
	ist, err := os.Stat(in)
	if err != nil {
		return nil // reported when opening in
	}
	if ost, err := os.Stat(out); err == nil && os.SameFile(ist, ost) {
		return fmt.Errorf("the output is the input package; write the rewrite elsewhere")
	}
	return nil
}

// members are the ar members to carry over.
type members struct {
	binary, control, data *deb.ArEntry
	failMember            string // the member an error is about
}

// listMembers walks the ar archive (already validated by debread) and
// picks out debian-binary, control.tar* and data.tar*. Members with a
// leading underscore sign or extend the original bytes: _gpg* signatures
// are refused unless strip is set (then dropped), and so is any other
// underscore member, since its meaning, and whether the rewrite voids it,
// is unknown.
func listMembers(f io.ReaderAt, strip bool) (members, error) {
	var m members
	ar, err := deb.LoadAr(f)
	if err != nil {
		return m, err
	}
	for {
		e, err := ar.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return m, err
		}
		switch {
		case e.Name == "debian-binary":
			m.binary = e
		case strings.HasPrefix(e.Name, "control.tar"):
			m.control = e
		case strings.HasPrefix(e.Name, "data.tar"):
			m.data = e
		case strings.HasPrefix(e.Name, "_gpg"):
			if !strip {
				m.failMember = e.Name
				return m, fmt.Errorf("the package is signed; a rewrite cannot keep a valid signature (strip signatures to drop it)")
			}
		case strings.HasPrefix(e.Name, "_"):
			if !strip {
				m.failMember = e.Name
				return m, fmt.Errorf("unknown extension member: it may sign or describe the original bytes (strip signatures to drop it)")
			}
		default:
			m.failMember = e.Name
			return m, fmt.Errorf("unknown member")
		}
	}
	if m.binary == nil || m.control == nil || m.data == nil {
		return m, fmt.Errorf("missing debian-binary, control.tar or data.tar member")
	}
	return m, nil
}

// withMember decompresses an ar member and hands it to fn.
func withMember[T any](ctx context.Context, e *deb.ArEntry, f decompress.Format, method decompress.Method, fn func(io.Reader) (T, error)) (T, error) {
	var zero T
	rc, err := decompress.Open(ctx, io.NewSectionReader(e.Data, 0, e.Size), f, method, decompress.NewBudget(decompress.DefaultBudget))
	if err != nil {
		return zero, err
	}
	v, err := fn(rc)
	if cerr := rc.Close(); err == nil && cerr != nil {
		return zero, cerr
	}
	return v, err
}

// writeData runs pass 2 over data.tar: decompress, rewrite, recompress
// into w. It returns the compressed size.
func writeData(ctx context.Context, e *deb.ArEntry, f decompress.Format, method decompress.Method, ed tarEdit, w *os.File) (int64, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	zw, err := compressor(f, bw)
	if err != nil {
		return 0, err
	}
	ch := newChunker(zw, 64<<10)
	if _, err := withMember(ctx, e, f, method, func(r io.Reader) ([]string, error) {
		return rewriteTar(ctx, r, ch, ed)
	}); err != nil {
		return 0, err
	}
	if err := ch.Flush(); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	n, err := w.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// compressAll compresses a member held in memory.
func compressAll(f decompress.Format, data []byte, w io.Writer) error {
	zw, err := compressor(f, w)
	if err != nil {
		return err
	}
	ch := newChunker(zw, 64<<10)
	if _, err := ch.Write(data); err != nil {
		return err
	}
	if err := ch.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// rewriteControl rewrites control.tar in memory: ./control gets the new
// version fields and Installed-Size, ./md5sums the new lines. Headers of
// both keep everything but their size (and checksum).
func rewriteControl(ctx context.Context, ctlTar []byte, keep bool, suffix string, sizeDelta int64, md5 map[string]string) ([]byte, versionPlan, error) {
	var vp versionPlan
	// Find ./control first: the version plan needs it before rewriting.
	tr := tar.NewReader(bytes.NewReader(ctlTar))
	var control []byte
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, vp, fmt.Errorf("corrupt or truncated: %w", err)
		}
		if p, err := pkgmodel.CleanMember(h.Name); err == nil && p == "/control" && h.Typeflag == tar.TypeReg {
			if control, err = io.ReadAll(tr); err != nil {
				return nil, vp, fmt.Errorf("control: %w", err)
			}
		}
	}
	if control == nil {
		return nil, vp, fmt.Errorf("no control file")
	}
	c, err := parseControl(control)
	if err != nil {
		return nil, vp, err
	}
	if vp, err = planVersion(c, keep, suffix); err != nil {
		return nil, vp, err
	}
	patch := func(edit func([]byte) ([]byte, error)) replacement {
		return replacement{needData: true, render: func(hdr []byte, h *tar.Header, data []byte) ([]byte, error) {
			if _, ok := h.PAXRecords["size"]; ok {
				return nil, fmt.Errorf("the size is in a PAX record; refusing to edit it")
			}
			if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
				return nil, fmt.Errorf("not a regular file")
			}
			nd, err := edit(data)
			if err != nil {
				return nil, err
			}
			if bytes.Equal(nd, data) {
				return append(hdr, padBlock(data)...), nil
			}
			out := append([]byte(nil), hdr...)
			if err := patchSize(out[len(out)-blockSize:], int64(len(nd))); err != nil {
				return nil, err
			}
			return append(out, padBlock(nd)...), nil
		}}
	}
	ed := tarEdit{maxReplaced: maxControlTar, trailingLinks: -1, replace: map[string]replacement{
		"/control": patch(func(b []byte) ([]byte, error) { return editControl(b, vp, sizeDelta) }),
	}}
	if len(md5) > 0 {
		// A package without md5sums keeps none: a file listing only the
		// new files would claim to be the package's whole list.
		ed.replace["/md5sums"] = patch(func(b []byte) ([]byte, error) { return editMD5sums(b, md5), nil })
	}
	var out bytes.Buffer
	if _, err := rewriteTar(ctx, bytes.NewReader(ctlTar), &out, ed); err != nil {
		return nil, vp, err
	}
	// Unchanged content: hand back the input itself, so the caller copies
	// the compressed member as it was (rewriteTar may still differ in the
	// trailer of an oddly padded input).
	if !changedControl(vp, sizeDelta, md5) {
		return ctlTar, vp, nil
	}
	return out.Bytes(), vp, nil
}

func changedControl(vp versionPlan, sizeDelta int64, md5 map[string]string) bool {
	return vp.newVersion != vp.oldVersion || vp.source != "" || sizeDelta != 0 || len(md5) > 0
}

// memberSource is an ar member to write.
type memberSource struct {
	name  string
	mtime int64
	r     io.Reader
	size  int64
}

// rawMember copies a member as it was, with its own mtime when the ar
// header can hold it.
func rawMember(e *deb.ArEntry, epoch int64) memberSource {
	mt := e.Timestamp
	if mt < 0 || mt > arwriter.MaxMtime {
		mt = epoch
	}
	return memberSource{name: e.Name, mtime: mt, r: io.NewSectionReader(e.Data, 0, e.Size), size: e.Size}
}

// sortInsertions orders new entries as dpkg-deb would list them.
func sortInsertions(ins []insertion) {
	slices.SortFunc(ins, func(a, b insertion) int { return dpkgCompare(a.path, b.path) })
}

// verify reads the written package back with debread and checks that the
// new files are there with their contents (where the reader keeps them)
// and the version is the new one.
func verify(ctx context.Context, f *os.File, name string, targets []*target, version string, method decompress.Method) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	p, err := debread.ReadFrom(ctx, name, f, st.Size(), debread.Options{XZ: method})
	if err != nil {
		return err
	}
	if p.Version != version {
		return fmt.Errorf("version %q, want %q", p.Version, version)
	}
	for _, t := range targets {
		found := false
		for _, e := range p.Entries {
			if e.Path == t.Path {
				found = true
				if e.Size != int64(len(t.Data)) {
					return fmt.Errorf("%s: %d bytes, want %d", t.Path, e.Size, len(t.Data))
				}
				if e.Kept {
					got, err := p.Tree.ReadFile(t.Path, pkgmodel.MaxKept)
					if err != nil {
						return err
					}
					if !bytes.Equal(got, t.Data) {
						return fmt.Errorf("%s: contents differ", t.Path)
					}
				}
			}
		}
		if !found {
			return fmt.Errorf("%s: missing", t.Path)
		}
	}
	return nil
}

// planData turns the checked targets into the edit of data.tar, the
// change of Installed-Size and the md5sums lines to add or replace.
//
// Installed-Size: dpkg-gencontrol (dpkg 1.21.22, /usr/bin/dpkg-gencontrol
// lines 338-364) walks the build tree and adds ceil(size/1024) per
// regular file or symlink (lstat size, a hard-linked inode once) and 1
// per directory or other object. The tree it walks includes DEBIAN/ as it
// stands when dh_gencontrol runs — maintainer scripts, conffiles,
// triggers, but no control or md5sums yet — which a rewrite cannot see
// exactly; so the field is moved by exactly what we add or replace rather
// than recomputed. On all 63 real bookworm packages at hand,
// Installed-Size = that sum over data.tar + 1 (DEBIAN/) + the sum over
// the control members other than control and md5sums
// (TestInstalledSizeRule), and TestInstalledSizeMatchesDpkgGencontrol
// runs dpkg-gencontrol itself on the rewritten tree.
func planData(pkg *pkgmodel.Package, targets []*target, newDirs []string, dotSlash bool, epoch int64) (tarEdit, int64, map[string]string, error) {
	ed := tarEdit{replace: map[string]replacement{}, shipped: map[string]bool{}, trailingLinks: -1}
	for _, e := range pkg.Entries {
		ed.shipped[e.Path] = true
	}
	// debread records one entry per tar entry, in archive order.
	if n := len(pkg.Entries); n > 0 && pkg.Entries[n-1].Type == tree.Symlink {
		ed.trailingLinks = n - 1
		for ed.trailingLinks > 0 && pkg.Entries[ed.trailingLinks-1].Type == tree.Symlink {
			ed.trailingLinks--
		}
	}
	var sizeDelta int64
	md5 := map[string]string{}
	for _, d := range newDirs {
		raw, err := renderDir(memberName(d, true, dotSlash), epoch)
		if err != nil {
			return ed, 0, nil, err
		}
		ed.inserts = append(ed.inserts, insertion{path: d, raw: raw})
		sizeDelta++
	}
	for _, t := range targets {
		if t.same {
			continue // already shipped exactly so: nothing changes
		}
		raw, err := renderFile(memberName(t.Path, false, dotSlash), t.Mode, epoch, t.Data)
		if err != nil {
			return ed, 0, nil, err
		}
		if t.exists {
			// Replaced in place by a fresh entry (root:root, the new mode
			// and the epoch), as if added anew: a re-run of apply with
			// another tier swaps the drop-in it wrote before.
			ed.replace[t.Path] = replacement{render: func([]byte, *tar.Header, []byte) ([]byte, error) { return raw, nil }}
			sizeDelta -= ceilKiB(t.oldSize)
		} else {
			ed.inserts = append(ed.inserts, insertion{path: t.Path, raw: raw})
		}
		sizeDelta += ceilKiB(int64(len(t.Data)))
		if !t.conffile {
			md5[t.Path] = md5Line(t.Path, t.Data)
		}
	}
	// New directories and files, merged into one dpkg-ordered list.
	sortInsertions(ed.inserts)
	return ed, sizeDelta, md5, nil
}

// output writes the rewritten package.
type output struct {
	in, out                   string
	epoch                     int64
	method                    decompress.Method
	members                   members
	dataFormat, controlFormat decompress.Format
}

func (o output) fail(member, msg string, err error) error {
	var pe *pkgmodel.Error
	if errors.As(err, &pe) {
		return err
	}
	return &pkgmodel.Error{Package: o.out, Member: member, Msg: msg, Err: err}
}

// write assembles the package in a temporary file in out's directory,
// reads it back, and renames it into place. newCtl is the new control.tar
// (uncompressed), nil when it is unchanged. Every temporary file is
// removed on the way out, whatever happens.
func (o output) write(ctx context.Context, ed tarEdit, newCtl []byte, targets []*target, version string) error {
	dir := filepath.Dir(o.out)
	var cleanup []string
	defer func() {
		for _, p := range cleanup {
			os.Remove(p)
		}
	}()
	m := o.members

	// data.tar, pass 2: written compressed to a temporary file, since the
	// ar header needs its size before its bytes. Unchanged, it is copied.
	dataMember := rawMember(m.data, o.epoch)
	if len(ed.inserts) > 0 || len(ed.replace) > 0 {
		tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.out)+".data-*")
		if err != nil {
			return o.fail("", "cannot create a temporary file", err)
		}
		cleanup = append(cleanup, tmp.Name())
		defer tmp.Close()
		n, err := writeData(ctx, m.data, o.dataFormat, o.method, ed, tmp)
		if err != nil {
			var pe *pkgmodel.Error
			if errors.As(err, &pe) {
				return err
			}
			return &pkgmodel.Error{Package: o.in, Member: m.data.Name, Msg: "cannot rewrite", Err: err}
		}
		dataMember = memberSource{name: m.data.Name, mtime: o.epoch, r: io.NewSectionReader(tmp, 0, n), size: n}
	}

	controlMember := rawMember(m.control, o.epoch)
	if newCtl != nil {
		var buf bytes.Buffer
		if err := compressAll(o.controlFormat, newCtl, &buf); err != nil {
			return o.fail(m.control.Name, "cannot compress", err)
		}
		controlMember = memberSource{name: m.control.Name, mtime: o.epoch, r: bytes.NewReader(buf.Bytes()), size: int64(buf.Len())}
	}

	tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.out)+".tmp-*")
	if err != nil {
		return o.fail("", "cannot create a temporary file", err)
	}
	cleanup = append(cleanup, tmp.Name())
	defer tmp.Close()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	aw := arwriter.New(bw)
	// deb(5) order; signature members are not carried over.
	for _, ms := range []memberSource{rawMember(m.binary, o.epoch), controlMember, dataMember} {
		if err := aw.Add(ms.name, ms.mtime, ms.r, ms.size); err != nil {
			return o.fail(ms.name, "cannot write", err)
		}
	}
	if err := aw.Close(); err != nil {
		return o.fail("", "cannot write", err)
	}
	if err := bw.Flush(); err != nil {
		return o.fail("", "cannot write", err)
	}
	// dpkg-deb creates packages 0644 (under the usual umask); CreateTemp
	// made this one 0600.
	if err := tmp.Chmod(0o644); err != nil {
		return o.fail("", "cannot set the mode", err)
	}
	if err := tmp.Sync(); err != nil {
		return o.fail("", "cannot write", err)
	}
	// Read the result back as the analysis would: it must be a package
	// our own reader accepts, with the new files in it.
	if err := verify(ctx, tmp, o.out, targets, version, o.method); err != nil {
		return &pkgmodel.Error{Package: o.out, Msg: "the rewritten package does not read back correctly (a bug in debwrite)", Err: err}
	}
	if err := tmp.Close(); err != nil {
		return o.fail("", "cannot write", err)
	}
	if err := os.Rename(tmp.Name(), o.out); err != nil {
		return o.fail("", "cannot rename the temporary file into place", err)
	}
	cleanup = cleanup[:len(cleanup)-1] // renamed: no longer ours to remove
	return nil
}
