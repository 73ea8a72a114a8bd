// Package tree gives read access to a file tree the way systemd sees it
// under --root: symlinks are data, resolved chroot-style, so an absolute
// target is taken relative to the root and nothing outside it is reached.
package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Type is the kind of a tree entry.
type Type int

const (
	Regular Type = iota
	Dir
	Symlink
	Other // devices, fifos, sockets
)

// Entry describes one name in the tree without following it.
type Entry struct {
	Name   string
	Type   Type
	Size   int64
	Target string // symlink target, verbatim
}

// FS is a read-only tree addressed by clean absolute slash paths ("/etc/x").
// Implementations never follow symlinks themselves.
type FS interface {
	Lstat(p string) (Entry, error)
	ReadDir(p string) ([]Entry, error) // sorted by name; Size may be -1 (unknown)
	ReadFile(p string, limit int64) ([]byte, error)
}

// ErrTooLarge is returned by ReadFile for files over the limit.
var ErrTooLarge = errors.New("file too large")

// Dir is an FS backed by a directory on disk.
type DirFS struct{ Root string }

func (d DirFS) host(p string) string { return filepath.Join(d.Root, filepath.FromSlash(p)) }

func entryOf(name string, fi fs.FileInfo, host string) Entry {
	e := Entry{Name: name, Size: fi.Size()}
	switch m := fi.Mode(); {
	case m.IsRegular():
		e.Type = Regular
	case m.IsDir():
		e.Type = Dir
	case m&fs.ModeSymlink != 0:
		e.Type = Symlink
		e.Target, _ = os.Readlink(host)
	default:
		e.Type = Other
	}
	return e
}

func (d DirFS) Lstat(p string) (Entry, error) {
	h := d.host(p)
	fi, err := os.Lstat(h)
	if err != nil {
		return Entry{}, err
	}
	return entryOf(path.Base(p), fi, h), nil
}

func (d DirFS) ReadDir(p string) ([]Entry, error) {
	h := d.host(p)
	des, err := os.ReadDir(h)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(des))
	for _, de := range des {
		// The directory entry's type is enough; only symlinks need a
		// further call. Sizes are not filled in (Lstat has them).
		e := Entry{Name: de.Name(), Size: -1}
		switch t := de.Type(); {
		case t.IsRegular():
			e.Type = Regular
		case t.IsDir():
			e.Type = Dir
		case t&fs.ModeSymlink != 0:
			e.Type = Symlink
			e.Target, _ = os.Readlink(filepath.Join(h, de.Name()))
		default:
			e.Type = Other
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (d DirFS) ReadFile(p string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer; the type is
	// checked on the open file.
	f, err := os.OpenFile(d.host(p), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("is a directory")
		}
		return nil, fmt.Errorf("not a regular file")
	}
	if fi.Size() > limit {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// maxHops bounds symlink resolution like the kernel's (and chase()'s) limit.
const maxHops = 32

// ErrLoop is returned when resolution exceeds maxHops.
var ErrLoop = errors.New("too many levels of symbolic links")

// Resolve follows symlinks in every component of p chroot-style and returns
// the final path with its entry. A dangling final component returns the
// path with fs.ErrNotExist.
func Resolve(t FS, p string) (string, Entry, error) {
	hops := 0
	todo := splitPath(p)
	cur := "/"
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		e, err := t.Lstat(next)
		if err != nil {
			if len(todo) == 0 {
				return next, Entry{}, err
			}
			return next, Entry{}, err
		}
		if e.Type != Symlink {
			if len(todo) > 0 && e.Type != Dir {
				return next, e, fmt.Errorf("%s: not a directory", next)
			}
			cur = next
			if len(todo) == 0 {
				return cur, e, nil
			}
			continue
		}
		hops++
		if hops > maxHops {
			return next, e, ErrLoop
		}
		if strings.HasPrefix(e.Target, "/") {
			cur = "/"
		}
		todo = append(splitPath(e.Target), todo...)
	}
	e, err := t.Lstat(cur)
	return cur, e, err
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			out = append(out, c)
		}
	}
	return out
}

// MemFS is an in-memory tree, for packages read from archives and for tests.
type MemFS struct {
	entries map[string]Entry
	data    map[string][]byte
	kids    map[string]map[string]bool
}

// NewMemFS returns an empty tree holding only "/".
func NewMemFS() *MemFS {
	m := &MemFS{entries: map[string]Entry{}, data: map[string][]byte{}, kids: map[string]map[string]bool{}}
	m.entries["/"] = Entry{Name: "/", Type: Dir}
	return m
}

func (m *MemFS) add(p string, e Entry) {
	p = path.Clean("/" + p)
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		if _, ok := m.entries[dir]; !ok {
			m.entries[dir] = Entry{Name: path.Base(dir), Type: Dir}
		}
		if dir == "/" {
			break
		}
	}
	e.Name = path.Base(p)
	m.entries[p] = e
	for c := p; c != "/"; c = path.Dir(c) {
		d := path.Dir(c)
		if m.kids[d] == nil {
			m.kids[d] = map[string]bool{}
		}
		m.kids[d][path.Base(c)] = true
	}
}

// AddFile adds a regular file (parents are created).
func (m *MemFS) AddFile(p string, data []byte) {
	m.add(p, Entry{Type: Regular, Size: int64(len(data))})
	m.data[path.Clean("/"+p)] = data
}

// AddDir adds a directory.
func (m *MemFS) AddDir(p string) { m.add(p, Entry{Type: Dir}) }

// AddSymlink adds a symlink with the given target.
func (m *MemFS) AddSymlink(p, target string) { m.add(p, Entry{Type: Symlink, Target: target}) }

// AddOther records a device, fifo or socket.
func (m *MemFS) AddOther(p string) { m.add(p, Entry{Type: Other}) }

func (m *MemFS) Lstat(p string) (Entry, error) {
	e, ok := m.entries[path.Clean(p)]
	if !ok {
		return Entry{}, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
	}
	return e, nil
}

func (m *MemFS) ReadDir(p string) ([]Entry, error) {
	p = path.Clean(p)
	e, ok := m.entries[p]
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: fs.ErrNotExist}
	}
	if e.Type != Dir {
		return nil, &fs.PathError{Op: "readdir", Path: p, Err: errors.New("not a directory")}
	}
	var out []Entry
	for k := range m.kids[p] {
		out = append(out, m.entries[path.Join(p, k)])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *MemFS) ReadFile(p string, limit int64) ([]byte, error) {
	p = path.Clean(p)
	e, ok := m.entries[p]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if e.Type == Dir {
		return nil, fmt.Errorf("is a directory")
	}
	if e.Size > limit {
		return nil, ErrTooLarge
	}
	return m.data[p], nil
}

// Cached wraps an FS and remembers Lstat results, for a reader that
// resolves many paths with common prefixes in a tree that does not change
// meanwhile (one scan of a package).
type Cached struct {
	FS
	lstat map[string]cachedEntry
}

type cachedEntry struct {
	e   Entry
	err error
}

// NewCached returns a caching view of t.
func NewCached(t FS) *Cached { return &Cached{FS: t, lstat: map[string]cachedEntry{}} }

func (c *Cached) Lstat(p string) (Entry, error) {
	if ce, ok := c.lstat[p]; ok {
		return ce.e, ce.err
	}
	e, err := c.FS.Lstat(p)
	c.lstat[p] = cachedEntry{e, err}
	return e, err
}

// AddFileMeta records a regular file whose contents are not kept.
func (m *MemFS) AddFileMeta(p string, size int64) { m.add(p, Entry{Type: Regular, Size: size}) }

// HasData reports whether the contents of the file at p are kept.
func (m *MemFS) HasData(p string) bool {
	_, ok := m.data[path.Clean(p)]
	return ok
}

// Overlay is a tree with extra regular files laid over a base (for
// predicting the effect of a drop-in before writing it) and base files
// hidden (our own earlier drop-ins, when a plan is recomputed).
type Overlay struct {
	Base  FS
	Files map[string][]byte   // clean absolute path → contents
	Hide  func(p string) bool // nil hides nothing
	dirs  map[string]map[string]bool
}

// NewOverlay lays files over base.
func NewOverlay(base FS, files map[string][]byte, hide func(string) bool) *Overlay {
	o := &Overlay{Base: base, Files: files, Hide: hide, dirs: map[string]map[string]bool{}}
	for p := range files {
		for c := path.Clean(p); c != "/"; c = path.Dir(c) {
			d := path.Dir(c)
			if o.dirs[d] == nil {
				o.dirs[d] = map[string]bool{}
			}
			o.dirs[d][path.Base(c)] = true
		}
	}
	return o
}

func (o *Overlay) hidden(p string) bool {
	_, over := o.Files[p]
	return !over && o.Hide != nil && o.Hide(p)
}

func (o *Overlay) Lstat(p string) (Entry, error) {
	p = path.Clean(p)
	if data, ok := o.Files[p]; ok {
		return Entry{Name: path.Base(p), Type: Regular, Size: int64(len(data))}, nil
	}
	if o.hidden(p) {
		return Entry{}, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
	}
	e, err := o.Base.Lstat(p)
	if err != nil && o.dirs[p] != nil {
		return Entry{Name: path.Base(p), Type: Dir}, nil
	}
	return e, err
}

func (o *Overlay) ReadDir(p string) ([]Entry, error) {
	p = path.Clean(p)
	base, err := o.Base.ReadDir(p)
	if err != nil && o.dirs[p] == nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Entry
	for _, e := range base {
		full := path.Join(p, e.Name)
		if o.hidden(full) {
			continue
		}
		if _, over := o.Files[full]; over {
			continue
		}
		seen[e.Name] = true
		out = append(out, e)
	}
	for name := range o.dirs[p] {
		if seen[name] {
			continue
		}
		full := path.Join(p, name)
		if data, ok := o.Files[full]; ok {
			out = append(out, Entry{Name: name, Type: Regular, Size: int64(len(data))})
		} else {
			out = append(out, Entry{Name: name, Type: Dir})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (o *Overlay) ReadFile(p string, limit int64) ([]byte, error) {
	p = path.Clean(p)
	if data, ok := o.Files[p]; ok {
		if int64(len(data)) > limit {
			return nil, ErrTooLarge
		}
		return data, nil
	}
	if o.hidden(p) {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	return o.Base.ReadFile(p, limit)
}
