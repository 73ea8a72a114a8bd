// Package unitload finds a unit and its drop-ins inside a root the way
// systemd-analyze --offline --root does (src/basic/unit-file.c,
// src/shared/dropin.c), and parses them.
package unitload

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/sdversion"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// Loader holds the unit name map of one root for one systemd version.
type Loader struct {
	fs      tree.FS
	version int
	search  []string
	real    map[string]string // search dir → its resolved path (when it exists)
	ids     map[string]string // name → unit name (alias) or absolute path
	where   map[string]string // name → path of its entry in the first unit dir that has it
	regular map[string]string // path of a regular file seen in a listing → its resolved path
	order   []string          // names in discovery order
	dirs    map[string]bool   // "<dir>/<name>.d" directories present
}

// New scans the unit directories of root.
func New(t tree.FS, version int) (*Loader, error) {
	return NewWithPaths(t, version, sdversion.SearchPaths(version))
}

// NewWithPaths scans the given unit directories instead of systemd's (for
// a unit file given without a root: only its own directory is searched,
// as systemd-analyze does with SYSTEMD_UNIT_PATH set to it).
func NewWithPaths(t tree.FS, version int, search []string) (*Loader, error) {
	t = tree.NewCached(t)
	l := &Loader{fs: t, version: version, search: search, real: map[string]string{},
		ids: map[string]string{}, where: map[string]string{}, regular: map[string]string{},
		dirs: map[string]bool{}}
	for _, dir := range l.search {
		if rd, e, err := tree.Resolve(t, dir); err == nil && e.Type == tree.Dir {
			l.real[dir] = rd
		}
	}
	for _, dir := range l.search {
		ents, err := l.readSearchDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			full := path.Join(dir, e.Name)
			if strings.HasSuffix(e.Name, ".d") {
				if e.Type == tree.Dir {
					l.dirs[full] = true
					continue
				}
				if e.Type == tree.Symlink {
					if _, te, err := tree.Resolve(t, full); err == nil && te.Type == tree.Dir {
						l.dirs[full] = true
					}
					continue
				}
			}
			if !unitname.Valid(e.Name) || (e.Type != tree.Regular && e.Type != tree.Symlink) {
				continue
			}
			if _, seen := l.ids[e.Name]; seen {
				continue // a higher-priority directory already has this name
			}
			l.where[e.Name] = full
			dst := full
			if e.Type == tree.Regular {
				l.regular[full] = path.Join(l.real[dir], e.Name)
			}
			if e.Type == tree.Symlink {
				var ok bool
				if dst, ok = l.resolveSymlink(dir, e); !ok {
					continue
				}
			}
			l.ids[e.Name] = dst
			l.order = append(l.order, e.Name)
		}
	}
	return l, nil
}

// readSearchDir lists a unit directory, following a symlinked directory
// chroot-style; a missing directory is empty.
func (l *Loader) readSearchDir(dir string) ([]tree.Entry, error) {
	real, ok := l.real[dir]
	if !ok {
		return nil, nil
	}
	ents, err := l.fs.ReadDir(real)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	return ents, nil
}

const devNull = "/dev/null"

// resolveSymlink mirrors unit_file_resolve_symlink() without resolving
// the destination: a link to another valid unit name in a unit directory
// is an alias (resolved later through the map, so overrides of the target
// apply); anything else is a linked file taken by its resolved path.
func (l *Loader) resolveSymlink(dir string, e tree.Entry) (string, bool) {
	tgt := e.Target
	if !strings.HasPrefix(tgt, "/") {
		tgt = path.Join(dir, tgt)
	}
	tgt = path.Clean(tgt)
	if tgt == devNull {
		return devNull, true
	}
	tdir, _, err := tree.Resolve(l.fs, path.Dir(tgt))
	if err == nil {
		base := path.Base(tgt)
		for _, d := range l.search {
			rd, ok := l.real[d]
			if !ok {
				continue
			}
			if (rd == tdir || d == path.Dir(tgt)) && unitname.Valid(base) && base != e.Name {
				return base, true
			}
		}
	}
	final, fe, err := tree.Resolve(l.fs, tgt)
	if final == devNull {
		return devNull, true
	}
	if err != nil || fe.Type == tree.Dir {
		return "", false
	}
	return final, true
}

// lookup follows aliases to the fragment path ("" when unknown).
func (l *Loader) lookup(name string) (string, bool) {
	id := name
	for i := 0; i < 64; i++ {
		t, ok := l.ids[id]
		if !ok {
			return "", false
		}
		if strings.HasPrefix(t, "/") {
			return t, true
		}
		id = t
	}
	return "", false
}

// Names returns every unit name of the given type ("service") found in the
// unit directories, sorted.
func (l *Loader) Names(typ string) []string {
	var out []string
	for _, n := range l.order {
		if p, ok := unitname.Parse(n); ok && p.Type == typ {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Path returns the path of the entry for name in the highest-priority unit
// directory that has it (the alias symlink itself for aliases).
func (l *Loader) Path(name string) string {
	if p, ok := l.where[name]; ok {
		return p
	}
	for _, d := range l.search {
		p := path.Join(d, name)
		if _, err := l.fs.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// Unit is a loaded unit: its fragment and drop-ins in application order.
type Unit struct {
	Requested string // the name asked for
	ID        string // the name systemd assesses (instance or alias target)
	Path      string // fragment path inside the root
	AliasOf   string // set when Requested is an alias of another unit
	Masked    bool
	Files     []*unitfile.File // fragment first, then drop-ins
	Warnings  []unitfile.Diag
	opts      unitfile.Options
}

// NotFoundError reports a unit that does not exist in the root.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("unit %s not found", e.Name) }

// Load finds name (a template is instantiated as systemd-analyze does) and
// parses its fragment and drop-ins. Parse errors are *unitfile.Error.
func (l *Loader) Load(name string) (*Unit, error) {
	p, ok := unitname.Parse(name)
	if !ok {
		return nil, fmt.Errorf("%s: invalid unit name", name)
	}
	u := &Unit{Requested: name, ID: name, opts: unitfile.OptionsFor(p.Type)}
	if p.Template {
		u.ID = unitname.WithInstance(name, sdversion.TemplateInstance(l.version))
	}
	key := u.ID
	frag, ok := l.lookup(key)
	if !ok && p.At {
		key = unitname.Template(u.ID)
		frag, ok = l.lookup(key)
	}
	if !ok {
		return nil, &NotFoundError{Name: name}
	}
	if frag == devNull {
		u.Masked = true
		u.Path = l.Path(name)
		return u, nil
	}
	u.Path = frag
	fragName := path.Base(frag)
	if fp, ok := unitname.Parse(fragName); ok && fragName != key {
		// An alias: systemd assesses the unit under its fragment's name.
		if fp.Template {
			inst := p.Instance
			if p.Template || inst == "" {
				inst = sdversion.TemplateInstance(l.version)
			}
			u.ID = unitname.WithInstance(fragName, inst)
		} else {
			u.ID = fragName
		}
		u.AliasOf = u.ID
		if fp.Template && p.Template {
			u.AliasOf = fragName
		}
	}
	f, err := l.parse(frag, u.opts)
	if err != nil {
		return nil, err
	}
	if len(f.Lines) == 0 {
		u.Masked = true // systemd treats an empty unit file as masked
		return u, nil
	}
	u.Files = append(u.Files, f)
	for _, dp := range l.dropins(u.ID, frag) {
		df, err := l.parse(dp, u.opts)
		if err != nil {
			// systemd ignores a drop-in's parse error: what was read before
			// the bad line applies, the rest of that drop-in does not.
			var pe *unitfile.Error
			if !errors.As(err, &pe) {
				return nil, err
			}
			u.Warnings = append(u.Warnings, unitfile.Diag{Path: pe.Path, Line: pe.Line, Msg: pe.Msg + " (rest of drop-in ignored)"})
			if df == nil {
				continue
			}
		}
		u.Files = append(u.Files, df)
	}
	for _, f := range u.Files {
		u.Warnings = append(u.Warnings, f.Warnings...)
	}
	return u, nil
}

func (l *Loader) parse(p string, opts unitfile.Options) (*unitfile.File, error) {
	if real, ok := l.regular[p]; ok {
		return l.read(p, real, opts)
	}
	real, e, err := tree.Resolve(l.fs, p)
	if real == devNull {
		return &unitfile.File{Path: p}, nil
	}
	if err != nil {
		return nil, &unitfile.Error{Path: p, Msg: err.Error()}
	}
	if e.Type == tree.Dir {
		return nil, &unitfile.Error{Path: p, Msg: "is a directory"}
	}
	return l.read(p, real, opts)
}

// read parses the file at real (already resolved), reporting it as p.
func (l *Loader) read(p, real string, opts unitfile.Options) (*unitfile.File, error) {
	data, err := l.fs.ReadFile(real, unitfile.MaxFile)
	if err != nil {
		if errors.Is(err, tree.ErrTooLarge) {
			return nil, &unitfile.Error{Path: p, Msg: fmt.Sprintf("file is over the %d byte limit", unitfile.MaxFile)}
		}
		return nil, &unitfile.Error{Path: p, Msg: err.Error()}
	}
	return unitfile.Parse(p, data, opts)
}

// names returns the unit's id and every alias name pointing at the same
// fragment, as instance names when the unit is an instance.
func (l *Loader) names(id, frag string) []string {
	out := []string{id}
	idp, _ := unitname.Parse(id)
	for _, n := range l.order {
		if n == id {
			continue
		}
		p, ok := l.lookup(n)
		if !ok || p != frag {
			continue
		}
		np, _ := unitname.Parse(n)
		switch {
		case np.Template && idp.At && !idp.Template:
			out = append(out, unitname.WithInstance(n, idp.Instance))
		case np.Template != idp.Template && !(np.Template && idp.Template):
			continue
		default:
			out = append(out, n)
		}
	}
	return out
}

// dropins lists the drop-in files for the unit in the order systemd
// applies them: collected over every name and unit directory, the first
// directory in that walk wins for a given file name, then sorted by name.
func (l *Loader) dropins(id, frag string) []string {
	var dirs []string
	add := func(name string) {
		names := unitname.DropinNames(name)
		for _, d := range l.search {
			if _, ok := l.real[d]; !ok {
				continue
			}
			for _, n := range names {
				dir := path.Join(d, n+".d")
				if l.dirs[dir] {
					dirs = append(dirs, dir)
				}
			}
		}
	}
	for _, n := range l.names(id, frag) {
		add(n)
	}
	if p, ok := unitname.Parse(id); ok {
		for _, d := range l.search {
			dir := path.Join(d, p.Type+".d")
			if l.dirs[dir] {
				dirs = append(dirs, dir)
			}
		}
	}
	chosen := map[string]string{}
	for _, dir := range dirs {
		real, _, err := tree.Resolve(l.fs, dir)
		if err != nil {
			continue
		}
		ents, err := l.fs.ReadDir(real)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name, ".conf") || hiddenOrBackup(e.Name) {
				continue
			}
			if e.Type != tree.Regular && e.Type != tree.Symlink {
				continue
			}
			if _, ok := chosen[e.Name]; !ok {
				chosen[e.Name] = path.Join(dir, e.Name)
				if e.Type == tree.Regular {
					l.regular[chosen[e.Name]] = path.Join(real, e.Name)
				}
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = chosen[n]
	}
	return out
}

// hiddenOrBackup mirrors systemd's hidden_or_backup_file().
func hiddenOrBackup(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
		return true
	}
	for _, s := range []string{".rpmnew", ".rpmsave", ".rpmorig", ".dpkg-old", ".dpkg-new", ".dpkg-tmp", ".dpkg-dist", ".dpkg-bak", ".dpkg-backup", ".dpkg-remove", ".ucf-new", ".ucf-old", ".ucf-dist", ".swp", ".bak", ".old", ".new"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}
