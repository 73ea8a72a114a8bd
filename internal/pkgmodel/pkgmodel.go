// Package pkgmodel is the one model of a package shared by every source:
// a staging directory (debian/<pkg>/, %{buildroot}), a built .deb and a
// built .rpm. Readers fill it in one pass and keep the contents of only the
// files that matter (Interesting); every other entry is recorded with its
// metadata alone.
package pkgmodel

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Format names a package source.
type Format string

const (
	Dir Format = "dir"
	Deb Format = "deb"
	RPM Format = "rpm"
)

// Entry is one file entry of a package.
type Entry struct {
	Path  string    // absolute, clean: "/usr/lib/systemd/system/foo.service"
	Type  tree.Type // Regular, Dir, Symlink, Other (devices, fifos)
	Mode  fs.FileMode
	UID   int // -1 when unknown (a staging directory)
	GID   int
	Owner string // "" when unknown
	Group string
	Size  int64
	// Link is a symlink's target, verbatim, or for a hard link the path of
	// the earlier entry it names.
	Link     string
	HardLink bool
	Kept     bool // the contents are in Package.Tree
	Conffile bool
}

// Script is a maintainer script or scriptlet.
type Script struct {
	Name        string // Debian: preinst, postinst, prerm, postrm, config; RPM: %pre, %post, %preun, %postun, %pretrans, %posttrans, %triggerin …
	Interpreter string // RPM: the scriptlet's interpreter ("/bin/sh"); Debian: from the #! line
	Text        string
	Condition   string // RPM triggers: the trigger condition ("systemd < 200")
}

// Package is what a reader returns.
type Package struct {
	Format  Format
	Source  string // the file or directory read
	Name    string // "" for a plain directory
	Version string // "[epoch:]version[-release]"
	Arch    string
	// SourcePackage is Debian's Source: field (name only), RPM's SOURCERPM.
	SourcePackage string
	Entries       []Entry // in archive order
	Scripts       []Script
	Conffiles     []string
	// Control holds the raw control fields (Debian) or selected header
	// tags (RPM), for checks that need more than the fields above.
	Control map[string]string
	// Tree holds every entry as a file system; only Kept entries have
	// contents (reading another regular file fails with ErrNotKept).
	Tree tree.FS
}

// ErrNotKept is returned when reading a file whose contents a reader did
// not keep.
var ErrNotKept = fmt.Errorf("contents not kept (not a file the analysis reads)")

// Error is a package that cannot be read safely. Its message names the
// package first, then the member.
type Error struct {
	Package string
	Member  string // "data.tar.xz", "./etc/x", "payload", …; "" when none
	Msg     string
	Err     error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Package)
	if e.Member != "" {
		b.WriteString(": ")
		b.WriteString(e.Member)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// unitDirs are the directories whose files the unit loader reads.
var unitDirs = []string{
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system", "/usr/lib/systemd/system",
	"/etc/systemd/system.control", "/run/systemd/system.control",
	"/etc/systemd/system.attached", "/run/systemd/system.attached",
}

// keptDirs are directories whose regular files (at any depth) are kept.
var keptDirs = append([]string{
	"/etc/init.d", "/etc/rc.d/init.d", "/etc/default", "/etc/sysconfig",
	"/usr/lib/sysusers.d", "/lib/sysusers.d", "/etc/sysusers.d",
	"/usr/lib/tmpfiles.d", "/lib/tmpfiles.d", "/etc/tmpfiles.d",
	"/usr/share/dbus-1/system.d", "/etc/dbus-1/system.d",
	"/usr/share/dbus-1/system-services",
	"/usr/lib/systemd/user", "/lib/systemd/user",
	"/etc/logrotate.d",
}, unitDirs...)

// MaxKept is the largest file whose contents a reader keeps; a kept file
// over it makes the package refused (Contracts: Limits).
const MaxKept = 4 << 20

// Interesting reports whether a reader keeps the contents of the regular
// file at p: units and their drop-ins, init scripts, /etc/default files,
// sysusers.d and tmpfiles.d entries, and D-Bus system policies.
func Interesting(p string) bool {
	for _, d := range keptDirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// CleanMember normalises an archive member name ("./usr/x", "usr/x/") to
// an absolute clean path. It refuses absolute names and ".." components
// (Contracts: Symlinks and archive members); "." alone is the root.
func CleanMember(name string) (string, error) {
	n := strings.TrimPrefix(name, "./")
	if n == "." || n == "" {
		return "/", nil
	}
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("absolute member name %q", name)
	}
	for _, c := range strings.Split(strings.TrimSuffix(n, "/"), "/") {
		if c == ".." {
			return "", fmt.Errorf("member name %q has a \"..\" component", name)
		}
	}
	return path.Clean("/" + n), nil
}

// Builder collects entries as a reader streams an archive and enforces
// the member rules: no member below a symlink of the same archive, hard
// links only to earlier regular members, no duplicate-but-different
// types.
type Builder struct {
	pkg      *Package
	mem      *tree.MemFS
	symlinks map[string]bool
	regular  map[string]int // path → index in Entries
}

// NewBuilder starts a package.
func NewBuilder(format Format, source string) *Builder {
	m := tree.NewMemFS()
	return &Builder{
		pkg:      &Package{Format: format, Source: source, Control: map[string]string{}, Tree: notKept{m}},
		mem:      m,
		symlinks: map[string]bool{},
		regular:  map[string]int{},
	}
}

// Package returns the package built so far.
func (b *Builder) Package() *Package { return b.pkg }

// throughSymlink reports whether some parent of p is a symlink already
// shipped in this archive.
func (b *Builder) throughSymlink(p string) (string, bool) {
	for d := path.Dir(p); d != "/"; d = path.Dir(d) {
		if b.symlinks[d] {
			return d, true
		}
	}
	return "", false
}

// Add records an entry. data is the contents for a Kept regular file.
func (b *Builder) Add(e Entry, data []byte) error {
	if s, ok := b.throughSymlink(e.Path); ok {
		return fmt.Errorf("member %s goes through the symlink %s shipped in the same archive", e.Path, s)
	}
	switch {
	case e.HardLink:
		target, err := CleanMember(strings.TrimPrefix(e.Link, "/"))
		if err != nil {
			return fmt.Errorf("hard link %s: %w", e.Path, err)
		}
		i, ok := b.regular[target]
		if !ok {
			return fmt.Errorf("hard link %s points to %s, which is not an earlier regular member", e.Path, e.Link)
		}
		e.Link = target
		e.Type = tree.Regular
		e.Size = b.pkg.Entries[i].Size
		if b.pkg.Entries[i].Kept && Interesting(e.Path) {
			d, _ := b.mem.ReadFile(target, MaxKept)
			data = d
			e.Kept = true
		}
	case e.Type == tree.Regular && Interesting(e.Path):
		e.Kept = data != nil
	}
	switch e.Type {
	case tree.Dir:
		b.mem.AddDir(e.Path)
	case tree.Symlink:
		b.mem.AddSymlink(e.Path, e.Link)
		b.symlinks[e.Path] = true
	case tree.Regular:
		if e.Kept {
			b.mem.AddFile(e.Path, data)
		} else {
			b.mem.AddFileMeta(e.Path, e.Size)
		}
		if !e.HardLink {
			b.regular[e.Path] = len(b.pkg.Entries)
		}
	default:
		b.mem.AddOther(e.Path)
	}
	b.pkg.Entries = append(b.pkg.Entries, e)
	return nil
}

// notKept makes reading a file without kept contents an error rather than
// an empty file.
type notKept struct{ *tree.MemFS }

func (n notKept) ReadFile(p string, limit int64) ([]byte, error) {
	if e, err := n.MemFS.Lstat(p); err == nil && e.Type == tree.Regular && !n.MemFS.HasData(p) {
		return nil, ErrNotKept
	}
	return n.MemFS.ReadFile(p, limit)
}

// MarkConffiles flags the entries listed as conffiles.
func (p *Package) MarkConffiles() {
	set := map[string]bool{}
	for _, c := range p.Conffiles {
		set[path.Clean(c)] = true
	}
	for i := range p.Entries {
		if set[p.Entries[i].Path] {
			p.Entries[i].Conffile = true
		}
	}
}

// Script returns the named script, if the package has it.
func (p *Package) Script(name string) (Script, bool) {
	for _, s := range p.Scripts {
		if s.Name == name {
			return s, true
		}
	}
	return Script{}, false
}
