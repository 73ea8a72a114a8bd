// Package rpmread reads a built binary .rpm into the package model in one
// streaming pass, without extracting anything.
//
// The lead and both headers are checked here and then decoded by
// github.com/cavaliergopher/rpm; names, modes, owners, flags, sizes and
// link targets come from the header. The payload is decompressed by
// internal/decompress and walked with github.com/cavaliergopher/cpio; it
// only supplies contents, and every member must match a header file.
// Only the contents of the files the analysis reads are kept
// (pkgmodel.Interesting).
//
// Limits: digests and signatures are not verified (the reader only
// refuses what it cannot read safely); %ghost files, absent from the
// payload, are not entries; members of a hard-link set are recorded when
// the set's data arrives; rpm's stripped cpio format (07070X: every v6
// package, and v4 packages with files over 4 GiB) and lzma payloads are
// refused.
package rpmread

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"

	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

// Options tune the reader.
type Options struct {
	XZ     decompress.Method // how xz payloads are decoded
	Budget int64             // total decompressed bytes; 0 means decompress.DefaultBudget
}

// Read reads the .rpm at path. Errors are *pkgmodel.Error naming path
// first.
func Read(ctx context.Context, path string, opt Options) (*pkgmodel.Package, error) {
	// Stat before opening: opening a FIFO would block.
	st, err := os.Stat(path)
	if err != nil {
		return nil, &pkgmodel.Error{Package: path, Msg: "cannot open", Err: unwrap(err)}
	}
	if !st.Mode().IsRegular() {
		return nil, &pkgmodel.Error{Package: path, Msg: "not a regular file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &pkgmodel.Error{Package: path, Msg: "cannot open", Err: unwrap(err)}
	}
	defer f.Close()
	return ReadFrom(ctx, path, f, opt)
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ReadFrom reads an .rpm from the stream r, which it reads once, front to
// back; name is the package named in errors.
func ReadFrom(ctx context.Context, name string, r io.Reader, opt Options) (*pkgmodel.Package, error) {
	budget := opt.Budget
	if budget <= 0 {
		budget = decompress.DefaultBudget
	}
	rd := &reader{ctx: ctx, name: name, opt: opt, limit: budget, budget: decompress.NewBudget(budget),
		b: pkgmodel.NewBuilder(pkgmodel.RPM, name)}
	if err := rd.run(r); err != nil {
		return nil, err
	}
	return rd.b.Package(), nil
}

type reader struct {
	ctx    context.Context
	name   string
	opt    Options
	limit  int64
	budget *decompress.Budget
	b      *pkgmodel.Builder
}

func (rd *reader) fail(member, format string, args ...any) error {
	return &pkgmodel.Error{Package: rd.name, Member: oneLine(member), Msg: oneLine(fmt.Sprintf(format, args...))}
}

func (rd *reader) wrap(member, msg string, err error) error {
	var pe *pkgmodel.Error
	if errors.As(err, &pe) {
		return err
	}
	return &pkgmodel.Error{Package: rd.name, Member: oneLine(member), Msg: oneLine(msg), Err: lineErr{err}}
}

// oneLine escapes control characters: names in a hostile package, or a
// decoder's stderr, must not break the one-line error (Contracts: exit
// status 2).
func oneLine(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lineErr prints an error on one line and still unwraps to it.
type lineErr struct{ err error }

func (e lineErr) Error() string { return oneLine(e.err.Error()) }
func (e lineErr) Unwrap() error { return e.err }

func (rd *reader) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	lead, err := rd.readLead(br)
	if err != nil {
		return err
	}
	sig, err := rd.readBlob(br, "signature header", true)
	if err != nil {
		return err
	}
	hdr, err := rd.readBlob(br, "header", false)
	if err != nil {
		return err
	}
	raw := make([]byte, 0, len(lead)+len(sig)+len(hdr))
	raw = append(append(append(raw, lead...), sig...), hdr...)
	pkg, err := rd.parseHeaders(raw)
	if err != nil {
		return err
	}
	h := &pkg.Header
	if lead[7] == 1 || h.GetTag(tagSourcePackage) != nil {
		return rd.fail("", "a source package (.src.rpm): only binary packages ship units")
	}

	p := rd.b.Package()
	p.Name, p.Arch, p.SourcePackage = pkg.Name(), pkg.Architecture(), pkg.SourceRPM()
	if p.Name == "" || pkg.Version() == "" {
		return rd.fail("header", "no NAME or VERSION tag")
	}
	p.Version = pkg.Version()
	if rel := pkg.Release(); rel != "" {
		p.Version += "-" + rel
	}
	if h.GetTag(tagEpoch) != nil {
		p.Version = strconv.Itoa(pkg.Epoch()) + ":" + p.Version
	}
	for k, v := range map[string]string{
		"Summary":           h.GetTag(tagSummary).String(),
		"License":           h.GetTag(tagLicense).String(),
		"URL":               h.GetTag(tagURL).String(),
		"Requires":          deps(h, tagRequireName, tagRequireFlags, tagRequireVersion),
		"Provides":          deps(h, tagProvideName, tagProvideFlags, tagProvideVersion),
		"Conflicts":         deps(h, tagConflictName, tagConflictFlags, tagConflictVersion),
		"Obsoletes":         deps(h, tagObsoleteName, tagObsoleteFlags, tagObsoleteVersion),
		"PayloadFormat":     pkg.PayloadFormat(),
		"PayloadCompressor": pkg.PayloadCompression(),
		"RPMVersion":        pkg.RPMVersion(),
	} {
		if v != "" {
			p.Control[k] = v
		}
	}
	if p.Scripts, err = rd.scripts(h); err != nil {
		return err
	}
	files, err := rd.files(h)
	if err != nil {
		return err
	}
	if err := rd.declared(pkg, files); err != nil {
		return err
	}
	for _, f := range files {
		if f.flags&fileConfig != 0 {
			p.Conffiles = append(p.Conffiles, f.path)
		}
	}
	if f := pkg.PayloadFormat(); f != "" && f != "cpio" {
		return rd.fail("payload", "unsupported payload format %q", f)
	}
	if err := rd.payload(br, pkg.PayloadCompression(), files); err != nil {
		return err
	}
	p.MarkConffiles()
	return nil
}
