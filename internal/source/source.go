// Package source opens any package source — a staging directory, a .deb
// or an .rpm — as the one package model, choosing the reader by content.
package source

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"pault.ag/go/debian/control"

	"github.com/systemd-harden/systemd-harden/internal/debread"
	"github.com/systemd-harden/systemd-harden/internal/decompress"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Options are passed on to the archive readers.
type Options struct {
	XZ     decompress.Method
	Budget int64
}

var (
	debMagic = []byte("!<arch>\n")
	rpmMagic = []byte{0xed, 0xab, 0xee, 0xdb}
)

// Kind reports what path holds: pkgmodel.Dir, Deb or RPM, by looking at it
// (not at its name).
func Kind(path string) (pkgmodel.Format, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", &pkgmodel.Error{Package: path, Msg: "cannot open", Err: unwrap(err)}
	}
	if st.IsDir() {
		return pkgmodel.Dir, nil
	}
	if !st.Mode().IsRegular() {
		return "", &pkgmodel.Error{Package: path, Msg: "not a regular file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return "", &pkgmodel.Error{Package: path, Msg: "cannot open", Err: unwrap(err)}
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := f.Read(head)
	switch {
	case bytes.HasPrefix(head[:n], debMagic):
		return pkgmodel.Deb, nil
	case bytes.HasPrefix(head[:n], rpmMagic):
		return pkgmodel.RPM, nil
	}
	return "", nil // not a package: the caller decides (a unit file, …)
}

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Open reads the package at path.
func Open(ctx context.Context, path string, opt Options) (*pkgmodel.Package, error) {
	kind, err := Kind(path)
	if err != nil {
		return nil, err
	}
	switch kind {
	case pkgmodel.Dir:
		return Dir(path), nil
	case pkgmodel.Deb:
		return debread.Read(ctx, path, debread.Options{XZ: opt.XZ, Budget: opt.Budget})
	case pkgmodel.RPM:
		return openRPM(ctx, path, opt)
	}
	return nil, &pkgmodel.Error{Package: path, Msg: "not a package (neither a directory, a .deb nor an .rpm)"}
}

// Dir returns a staging directory as a package. Its files are read from
// disk on demand; owners and maintainer scripts are unknown here (they
// come from the packaging metadata, never from the staging tree), so
// Entries is empty until WalkEntries fills it.
func Dir(path string) *pkgmodel.Package {
	return &pkgmodel.Package{Format: pkgmodel.Dir, Source: path, Control: map[string]string{}, Tree: tree.DirFS{Root: path}}
}

// WalkEntries lists every entry of a staging directory into p.Entries, in
// lexical order, with modes and link targets from disk and owners unknown.
// A DEBIAN/ directory (dpkg-deb -b's layout) gives the control fields and
// maintainer scripts; it is not part of the package's files.
func WalkEntries(p *pkgmodel.Package) error {
	if p.Format != pkgmodel.Dir {
		return nil
	}
	root := p.Source
	p.Entries = nil
	if err := readDEBIAN(p); err != nil {
		return err
	}
	return filepath.WalkDir(root, func(full string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && full == filepath.Join(root, "DEBIAN") {
			return filepath.SkipDir
		}
		if err != nil {
			return &pkgmodel.Error{Package: root, Member: full, Msg: "cannot read", Err: unwrap(err)}
		}
		rel, _ := filepath.Rel(root, full)
		e := pkgmodel.Entry{Path: path.Clean("/" + filepath.ToSlash(rel)), UID: -1, GID: -1}
		if e.Path == "/" {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return &pkgmodel.Error{Package: root, Member: e.Path, Msg: "cannot stat", Err: unwrap(err)}
		}
		e.Mode, e.Size = fi.Mode(), fi.Size()
		switch {
		case fi.Mode().IsRegular():
			e.Type, e.Kept = tree.Regular, pkgmodel.Interesting(e.Path)
		case fi.IsDir():
			e.Type, e.Size = tree.Dir, 0
		case fi.Mode()&fs.ModeSymlink != 0:
			e.Type, e.Size = tree.Symlink, 0
			e.Link, _ = os.Readlink(full)
		default:
			e.Type = tree.Other
		}
		p.Entries = append(p.Entries, e)
		return nil
	})
}

// readDEBIAN reads a staging tree's DEBIAN/ directory, when there is one.
func readDEBIAN(p *pkgmodel.Package) error {
	dir := filepath.Join(p.Source, "DEBIAN")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil
	}
	if b, err := os.ReadFile(filepath.Join(dir, "control")); err == nil {
		r, err := control.NewParagraphReader(bytes.NewReader(b), nil)
		if err != nil {
			return &pkgmodel.Error{Package: p.Source, Member: "DEBIAN/control", Msg: "malformed", Err: err}
		}
		para, err := r.Next()
		if err != nil {
			return &pkgmodel.Error{Package: p.Source, Member: "DEBIAN/control", Msg: "malformed", Err: err}
		}
		for k, v := range para.Values {
			p.Control[k] = v
		}
		p.Name, p.Version, p.Arch = para.Values["Package"], para.Values["Version"], para.Values["Architecture"]
	}
	for _, name := range []string{"preinst", "postinst", "prerm", "postrm", "config"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		p.Scripts = append(p.Scripts, pkgmodel.Script{Name: name, Text: string(b)})
	}
	if b, err := os.ReadFile(filepath.Join(dir, "conffiles")); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[len(f)-1], "/") {
				p.Conffiles = append(p.Conffiles, f[len(f)-1])
			}
		}
	}
	return nil
}
