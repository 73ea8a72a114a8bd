package debwrite

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Limits on the files to add. A drop-in bigger than pkgmodel.MaxKept would
// make the rewritten package one our own reader refuses (Contracts:
// Limits); the path limits are Linux's PATH_MAX and NAME_MAX.
const (
	maxFileSize  = pkgmodel.MaxKept
	maxPathLen   = 4095
	maxNameLen   = 255
	defaultMode  = 0o644
	maxFileCount = 10000
)

// target is one requested file, checked against the package.
type target struct {
	File
	exists   bool  // the package ships a regular file at Path
	oldSize  int64 // its size, when it exists
	conffile bool  // listed in conffiles: no md5sums line (dh_md5sums)
	same     bool  // set by the scan: the shipped file is identical
}

// checkFiles validates the requested files on their own, before the
// package is read: absolute clean paths, no "..", no control characters,
// sane modes and sizes, no duplicates, no file below another one.
func checkFiles(files []File) ([]*target, error) {
	if len(files) > maxFileCount {
		return nil, fmt.Errorf("%d files to add, more than %d", len(files), maxFileCount)
	}
	seen := map[string]bool{}
	var out []*target
	for _, f := range files {
		if err := checkPath(f.Path); err != nil {
			return nil, err
		}
		if seen[f.Path] {
			return nil, fmt.Errorf("%s: given twice", f.Path)
		}
		seen[f.Path] = true
		mode := f.Mode
		if mode == 0 {
			mode = defaultMode
		}
		// Permission bits only: a drop-in has no business being setuid,
		// and the type comes from the tar entry we write.
		if mode < 0 || mode > 0o777 {
			return nil, fmt.Errorf("%s: mode %#o is not a permission mode (0 to 0777)", f.Path, f.Mode)
		}
		if len(f.Data) > maxFileSize {
			return nil, fmt.Errorf("%s: %d bytes, over the %d byte limit for a file the analysis reads", f.Path, len(f.Data), maxFileSize)
		}
		out = append(out, &target{File: File{Path: f.Path, Mode: mode, Data: f.Data}})
	}
	for _, t := range out {
		for d := path.Dir(t.Path); d != "/"; d = path.Dir(d) {
			if seen[d] {
				return nil, fmt.Errorf("%s: its parent %s is also a file to add", t.Path, d)
			}
		}
	}
	// dpkg-deb's order, so md5sums lines and tar entries come out sorted.
	slices.SortFunc(out, func(a, b *target) int { return dpkgCompare(a.Path, b.Path) })
	return out, nil
}

// checkPath enforces the member-name rules of the reader (Contracts:
// Symlinks and archive members) on a path we are about to add.
func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty path")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q: not an absolute path", p)
	case len(p) > maxPathLen:
		return fmt.Errorf("%.60q…: longer than %d bytes", p, maxPathLen)
	}
	for _, c := range strings.Split(p[1:], "/") {
		if c == ".." {
			return fmt.Errorf("%q: has a \"..\" component", p)
		}
		if len(c) > maxNameLen {
			return fmt.Errorf("%q: a component is longer than %d bytes", p, maxNameLen)
		}
	}
	if p == "/" || path.Clean(p) != p {
		return fmt.Errorf("%q: not a clean path to a file (no \".\", \"//\" or trailing \"/\")", p)
	}
	for i := 0; i < len(p); i++ {
		// Control characters would need escaping in md5sums and break
		// line-oriented tools; unit and drop-in names never contain them.
		if c := p[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%q: contains the control character %#02x", p, c)
		}
	}
	return nil
}

// planFiles checks the targets against the package's entries and returns
// the parent directories that must be created, in dpkg-deb's order.
//
// A target refused here: one whose path goes through a symlink the
// package ships (the reader's rule), or through something that is not a
// directory; one where the package ships a directory, symlink, device or
// several entries; one that is a hard link or the target of one (replacing
// it would silently change the other name too).
func planFiles(p *pkgmodel.Package, targets []*target) ([]string, error) {
	byPath := map[string][]int{}
	linked := map[string]string{} // hard-link target → a link naming it
	for i, e := range p.Entries {
		byPath[e.Path] = append(byPath[e.Path], i)
		if e.HardLink {
			linked[e.Link] = e.Path
		}
	}
	conffiles := map[string]bool{}
	for _, c := range p.Conffiles {
		conffiles[path.Clean(c)] = true
	}
	newDirs := map[string]bool{}
	for _, t := range targets {
		for d := path.Dir(t.Path); d != "/"; d = path.Dir(d) {
			idx := byPath[d]
			if len(idx) == 0 {
				newDirs[d] = true
				continue
			}
			e := p.Entries[idx[len(idx)-1]]
			switch {
			case e.Type == tree.Symlink:
				return nil, fmt.Errorf("%s: goes through the symlink %s shipped in the package", t.Path, d)
			case e.Type != tree.Dir || e.HardLink:
				return nil, fmt.Errorf("%s: its parent %s is not a directory in the package", t.Path, d)
			}
		}
		t.conffile = conffiles[t.Path]
		idx := byPath[t.Path]
		switch {
		case len(idx) == 0:
			continue
		case len(idx) > 1:
			return nil, fmt.Errorf("%s: the package ships %d entries with this path", t.Path, len(idx))
		}
		e := p.Entries[idx[0]]
		switch {
		case e.HardLink:
			return nil, fmt.Errorf("%s: the package ships it as a hard link to %s; refusing to replace it", t.Path, e.Link)
		case linked[t.Path] != "":
			return nil, fmt.Errorf("%s: the package hard-links %s to it; refusing to replace it", t.Path, linked[t.Path])
		case e.Type == tree.Symlink:
			return nil, fmt.Errorf("%s: the package ships it as a symlink to %s; refusing to replace it", t.Path, e.Link)
		case e.Type != tree.Regular:
			return nil, fmt.Errorf("%s: the package ships it as a %s, not a regular file", t.Path, typeName(e.Type))
		}
		t.exists, t.oldSize = true, e.Size
	}
	dirs := make([]string, 0, len(newDirs))
	for d := range newDirs {
		dirs = append(dirs, d)
	}
	slices.SortFunc(dirs, dpkgCompare)
	return dirs, nil
}

func typeName(t tree.Type) string {
	switch t {
	case tree.Dir:
		return "directory"
	case tree.Symlink:
		return "symlink"
	case tree.Regular:
		return "regular file"
	}
	return "device or fifo"
}

// scanResult is what the first pass over data.tar learns.
type scanResult struct {
	maxMtime int64 // newest entry mtime: the default for new entries
	dotSlash bool  // entry names start with "./" (dpkg-deb's style)
}

// scanData reads data.tar once before writing anything: the newest mtime
// (needed before the first new header is written), the naming style, and
// whether each shipped target already has exactly the wanted contents
// and mode (then it is kept as it is, so a re-run is idempotent).
func scanData(ctx context.Context, r io.Reader, targets []*target) (scanResult, error) {
	res := scanResult{dotSlash: true}
	want := map[string]*target{}
	for _, t := range targets {
		if t.exists {
			want[t.Path] = t
		}
	}
	tr := tar.NewReader(r)
	first := true
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return res, nil
		}
		if err != nil {
			return res, fmt.Errorf("corrupt or truncated: %w", err)
		}
		if first {
			res.dotSlash = strings.HasPrefix(h.Name, "./") || h.Name == "."
			first = false
		}
		if m := h.ModTime.Unix(); m > res.maxMtime {
			res.maxMtime = m
		}
		p, err := pkgmodel.CleanMember(h.Name)
		if err != nil {
			return res, err
		}
		t := want[p]
		if t == nil || (h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA) {
			continue
		}
		if h.Size != int64(len(t.Data)) || h.Mode&0o7777 != t.Mode {
			continue
		}
		got, err := io.ReadAll(io.LimitReader(tr, int64(len(t.Data))+1))
		if err != nil {
			return res, fmt.Errorf("%s: %w", h.Name, err)
		}
		t.same = bytes.Equal(got, t.Data)
	}
}

// memberName is the tar name of a clean path in the archive's style.
func memberName(p string, dir, dotSlash bool) string {
	name := strings.TrimPrefix(p, "/")
	if dotSlash {
		name = "./" + name
	}
	if dir {
		name += "/"
	}
	return name
}

// ceilKiB is dpkg-gencontrol's per-file contribution to Installed-Size.
func ceilKiB(n int64) int64 { return (n + 1023) / 1024 }
