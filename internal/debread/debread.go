// Package debread reads a built .deb into the package model in one
// streaming pass, without extracting anything.
//
// The ar container is read with pault.ag/go/debian/deb.LoadAr (not
// deb.Load, which opens data.tar with a hard-wired slow xz decoder); the
// tar members are decompressed by internal/decompress. Every data.tar
// header is recorded; only the contents of the files the analysis reads
// are kept (pkgmodel.Interesting).
package debread

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"pault.ag/go/debian/control"
	"pault.ag/go/debian/deb"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Options tune the reader.
type Options struct {
	XZ     decompress.Method
	Budget int64 // total decompressed bytes; 0 means decompress.DefaultBudget
}

// maxControlMember bounds a control.tar member (control, scripts, md5sums).
const maxControlMember = 64 << 20

// Read reads the .deb at path.
func Read(ctx context.Context, path string, opt Options) (*pkgmodel.Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &pkgmodel.Error{Package: path, Msg: "cannot open", Err: unwrap(err)}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &pkgmodel.Error{Package: path, Msg: "cannot stat", Err: unwrap(err)}
	}
	if !st.Mode().IsRegular() {
		return nil, &pkgmodel.Error{Package: path, Msg: "not a regular file"}
	}
	return ReadFrom(ctx, path, f, st.Size(), opt)
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadFrom reads a .deb of the given size from r; name is used in errors.
func ReadFrom(ctx context.Context, name string, r io.ReaderAt, size int64, opt Options) (*pkgmodel.Package, error) {
	budgetSize := opt.Budget
	if budgetSize == 0 {
		budgetSize = decompress.DefaultBudget
	}
	rd := &reader{ctx: ctx, name: name, opt: opt, budget: decompress.NewBudget(budgetSize),
		b: pkgmodel.NewBuilder(pkgmodel.Deb, name)}
	if err := rd.run(r, size); err != nil {
		return nil, err
	}
	return rd.b.Package(), nil
}

type reader struct {
	ctx    context.Context
	name   string
	opt    Options
	budget *decompress.Budget
	b      *pkgmodel.Builder
}

func (rd *reader) fail(member, format string, args ...any) error {
	return &pkgmodel.Error{Package: rd.name, Member: member, Msg: fmt.Sprintf(format, args...)}
}

func (rd *reader) wrap(member, msg string, err error) error {
	var pe *pkgmodel.Error
	if errors.As(err, &pe) {
		return err
	}
	return &pkgmodel.Error{Package: rd.name, Member: member, Msg: msg, Err: err}
}

func (rd *reader) run(r io.ReaderAt, size int64) error {
	magic := make([]byte, 8)
	if n, _ := r.ReadAt(magic, 0); n < 8 || string(magic) != "!<arch>\n" {
		return rd.fail("", "not a Debian package (no ar archive magic)")
	}
	ar, err := deb.LoadAr(r)
	if err != nil {
		return rd.wrap("", "not a Debian package", err)
	}
	var seenBinary, seenControl, seenData bool
	for i := 0; ; i++ {
		e, err := ar.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.wrap(fmt.Sprintf("ar member %d", i+1), "truncated or malformed ar header", err)
		}
		if e.Size < 0 || e.Data == nil {
			return rd.fail(e.Name, "negative member size")
		}
		if sectionEnd(e.Data) > size {
			return rd.fail(e.Name, "truncated: the member is %d bytes but the file ends before", e.Size)
		}
		switch {
		case i == 0:
			if e.Name != "debian-binary" {
				return rd.fail(e.Name, "the first member must be debian-binary")
			}
			b, err := io.ReadAll(io.LimitReader(e.Data, 64))
			if err != nil || !strings.HasPrefix(string(b), "2.") {
				return rd.fail(e.Name, "unsupported package format version %q", strings.TrimSpace(string(b)))
			}
			seenBinary = true
		case strings.HasPrefix(e.Name, "control.tar"):
			if seenControl || seenData {
				return rd.fail(e.Name, "control member out of order")
			}
			if err := rd.control(e); err != nil {
				return err
			}
			seenControl = true
		case strings.HasPrefix(e.Name, "data.tar"):
			if !seenControl || seenData {
				return rd.fail(e.Name, "data member out of order (control.tar must come first, once)")
			}
			if err := rd.data(e); err != nil {
				return err
			}
			seenData = true
		case strings.HasPrefix(e.Name, "_"):
			// Signatures (_gpgorigin, …) and other extension members are
			// recorded; apply refuses to rewrite signed packages.
			rd.b.Package().Control["ar-member:"+e.Name] = fmt.Sprint(e.Size)
		default:
			return rd.fail(e.Name, "unknown member in a Debian package")
		}
	}
	switch {
	case !seenBinary:
		return rd.fail("", "empty archive: no debian-binary member")
	case !seenControl:
		return rd.fail("", "no control.tar member")
	case !seenData:
		return rd.fail("", "no data.tar member")
	}
	p := rd.b.Package()
	p.MarkConffiles()
	return nil
}

// sectionEnd is the offset just past a member's data in the file.
func sectionEnd(s *io.SectionReader) int64 {
	_, off, n := s.Outer()
	return off + n
}

// open decompresses an ar member.
func (rd *reader) open(e *deb.ArEntry) (io.ReadCloser, error) {
	format, err := decompress.FromSuffix(e.Name)
	if err != nil {
		return nil, rd.fail(e.Name, "%v", err)
	}
	head := make([]byte, 6)
	n, _ := e.Data.ReadAt(head, 0)
	if got := decompress.Sniff(head[:n]); format != decompress.None && got != format {
		return nil, rd.fail(e.Name, "the data is not %s compressed", format)
	}
	rc, err := decompress.Open(rd.ctx, io.NewSectionReader(e.Data, 0, e.Size), format, rd.opt.XZ, rd.budget)
	if err != nil {
		return nil, rd.wrap(e.Name, "cannot decompress", err)
	}
	return rc, nil
}

// control reads control.tar: the control paragraph, conffiles and the
// maintainer scripts.
func (rd *reader) control(e *deb.ArEntry) error {
	rc, err := rd.open(e)
	if err != nil {
		return err
	}
	defer rc.Close()
	p := rd.b.Package()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return rd.wrap(e.Name, "corrupt or truncated", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name, err := pkgmodel.CleanMember(h.Name)
		if err != nil {
			return rd.wrap(e.Name, h.Name, err)
		}
		if h.Size > maxControlMember {
			return rd.fail(e.Name, "%s: declared size %d is over the %d byte limit", h.Name, h.Size, maxControlMember)
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxControlMember))
		if err != nil {
			return rd.wrap(e.Name, "corrupt or truncated", err)
		}
		switch base := path.Base(name); base {
		case "control":
			para, err := control.NewParagraphReader(bytes.NewReader(data), nil)
			if err != nil {
				return rd.wrap(e.Name, "control file", err)
			}
			cp, err := para.Next()
			if err != nil {
				return rd.wrap(e.Name, "control file", err)
			}
			for k, v := range cp.Values {
				p.Control[k] = v
			}
			p.Name, p.Version, p.Arch = cp.Values["Package"], cp.Values["Version"], cp.Values["Architecture"]
			src := cp.Values["Source"]
			if i := strings.IndexByte(src, ' '); i >= 0 {
				src = src[:i]
			}
			if src == "" {
				src = p.Name
			}
			p.SourcePackage = src
			if p.Name == "" || p.Version == "" {
				return rd.fail(e.Name, "control file lacks Package or Version")
			}
		case "conffiles":
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				switch {
				case len(f) == 1 && strings.HasPrefix(f[0], "/"):
					p.Conffiles = append(p.Conffiles, f[0])
				case len(f) == 2 && f[0] == "remove-on-upgrade":
					// a flag dpkg ≥ 1.20.1 understands; still a conffile
					p.Conffiles = append(p.Conffiles, f[1])
				}
			}
		case "preinst", "postinst", "prerm", "postrm", "config":
			p.Scripts = append(p.Scripts, pkgmodel.Script{Name: base, Interpreter: interpreter(data), Text: string(data)})
		default:
			p.Control["control-member:"+base] = string(data)
		}
	}
}

func interpreter(script []byte) string {
	if !bytes.HasPrefix(script, []byte("#!")) {
		return ""
	}
	line, _, _ := bytes.Cut(script[2:], []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// data reads every header of data.tar and keeps what matters.
func (rd *reader) data(e *deb.ArEntry) error {
	rc, err := rd.open(e)
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		if err := rd.ctx.Err(); err != nil {
			return rd.wrap(e.Name, "cancelled", err)
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return rd.wrap(e.Name, "corrupt or truncated", err)
		}
		if err := rd.entry(e.Name, tr, h); err != nil {
			return err
		}
	}
}

func (rd *reader) entry(member string, tr *tar.Reader, h *tar.Header) error {
	p, err := pkgmodel.CleanMember(h.Name)
	if err != nil {
		return rd.wrap(member, "refused", err)
	}
	if h.Size < 0 {
		return rd.fail(member, "%s: negative size", h.Name)
	}
	// Refuse from the declared size, before decompressing the contents.
	if h.Size > rd.budget.Left() {
		return rd.fail(member, "%s: declared size %d exceeds the remaining size budget of %d bytes", h.Name, h.Size, rd.budget.Left())
	}
	ent := pkgmodel.Entry{Path: p, Mode: h.FileInfo().Mode(), UID: h.Uid, GID: h.Gid,
		Owner: h.Uname, Group: h.Gname, Size: h.Size}
	var data []byte
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA:
		ent.Type = tree.Regular
		if pkgmodel.Interesting(p) {
			if h.Size > pkgmodel.MaxKept {
				return rd.fail(member, "%s: %d bytes, over the %d byte limit for a file the analysis reads", h.Name, h.Size, pkgmodel.MaxKept)
			}
			data = make([]byte, 0, h.Size)
			buf := bytes.NewBuffer(data)
			if _, err := io.Copy(buf, tr); err != nil {
				return rd.wrap(member, h.Name, err)
			}
			data = buf.Bytes()
		}
	case tar.TypeDir:
		ent.Type = tree.Dir
		ent.Size = 0
	case tar.TypeSymlink:
		ent.Type = tree.Symlink
		ent.Link = h.Linkname
		ent.Size = 0
	case tar.TypeLink:
		ent.HardLink = true
		ent.Link = h.Linkname
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		ent.Type = tree.Other
	default:
		return rd.fail(member, "%s: unsupported tar entry type %q", h.Name, h.Typeflag)
	}
	if err := rd.b.Add(ent, data); err != nil {
		return rd.wrap(member, "refused", err)
	}
	return nil
}
