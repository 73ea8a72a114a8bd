// Package syscalls holds systemd's system-call filter groups and the
// x86_64 system-call names libseccomp resolves, per modelled systemd
// version (data/README.md says how the tables were made).
package syscalls

import (
	"bufio"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/*.txt
var data embed.FS

// Table is one version's groups plus the matching libseccomp name table.
type Table struct {
	groups map[string][]string
	names  map[string]int // x86_64 number, or -1 for a pseudo syscall (PNR)
	index  map[string]int // every known name → its bit in a Set
	byIdx  []string
	// expanded holds each group's members, groups expanded depth-first
	// in source order, restricted to names libseccomp knows.
	expanded map[string][]int
}

// Unknown means libseccomp does not know the name at all.
const (
	Unknown = iota
	Pseudo  // known, but no number on this architecture
	Native  // resolvable on x86_64
)

var (
	once    sync.Once
	tables  map[string]*Table
	loadErr error
)

func load() {
	tables = map[string]*Table{}
	for _, v := range []struct{ key, groups, names string }{
		{"252", "data/groups-252.txt", "data/x86_64-libseccomp-2.5.4.txt"},
		{"257", "data/groups-257.txt", "data/x86_64-libseccomp-2.6.0.txt"},
	} {
		t := &Table{groups: map[string][]string{}, names: map[string]int{}}
		if err := eachLine(v.groups, func(f []string) error {
			t.groups[f[0]] = f[1:]
			return nil
		}); err != nil {
			loadErr = err
			return
		}
		if err := eachLine(v.names, func(f []string) error {
			if len(f) != 2 {
				return fmt.Errorf("bad line %q", strings.Join(f, " "))
			}
			n := -1
			if f[1] != "PNR" {
				var err error
				if n, err = strconv.Atoi(f[1]); err != nil {
					return err
				}
			}
			t.names[f[0]] = n
			return nil
		}); err != nil {
			loadErr = err
			return
		}
		t.index = map[string]int{}
		for name := range t.names {
			t.byIdx = append(t.byIdx, name)
		}
		sort.Strings(t.byIdx)
		for i, name := range t.byIdx {
			t.index[name] = i
		}
		t.expanded = map[string][]int{}
		for g := range t.groups {
			t.expanded[g] = t.expand(g, nil, map[string]bool{})
		}
		tables[v.key] = t
	}
}

func (t *Table) expand(g string, out []int, seen map[string]bool) []int {
	if seen[g] {
		return out
	}
	seen[g] = true
	for _, m := range t.groups[g] {
		if strings.HasPrefix(m, "@") {
			out = t.expand(m, out, seen)
			continue
		}
		if i, ok := t.index[m]; ok {
			out = append(out, i)
		}
	}
	return out
}

// Set is a set of system calls of one Table.
type Set []uint64

// NewSet returns an empty set for t.
func (t *Table) NewSet() Set { return make(Set, (len(t.byIdx)+63)/64) }

// Has reports whether i is in the set.
func (s Set) Has(i int) bool { return s[i/64]&(1<<uint(i%64)) != 0 }

// Add and Remove change the set.
func (s Set) Add(i int)    { s[i/64] |= 1 << uint(i%64) }
func (s Set) Remove(i int) { s[i/64] &^= 1 << uint(i%64) }

// Empty reports whether the set has no member.
func (s Set) Empty() bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

// Index returns the Set bit of a known name.
func (t *Table) Index(name string) (int, bool) {
	i, ok := t.index[name]
	return i, ok
}

// Name returns the name of a Set bit.
func (t *Table) Name(i int) string { return t.byIdx[i] }

// IsNative reports whether bit i resolves on x86_64.
func (t *Table) IsNative(i int) bool { return t.names[t.byIdx[i]] >= 0 }

// Expanded returns a group's known members (groups expanded in source
// order), or false for an unknown group.
func (t *Table) Expanded(group string) ([]int, bool) {
	e, ok := t.expanded[group]
	return e, ok
}

func eachLine(name string, fn func([]string) error) error {
	b, err := data.ReadFile(name)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := fn(strings.Fields(line)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return sc.Err()
}

// For returns the table for a modelled systemd version (252, or 257+).
func For(version int) *Table {
	once.Do(load)
	if loadErr != nil {
		panic("syscalls: embedded data is broken: " + loadErr.Error()) // a build defect, not input
	}
	if version < 257 {
		return tables["252"]
	}
	return tables["257"]
}

// Group returns the members of a group ("@system-service"), unexpanded.
func (t *Table) Group(name string) ([]string, bool) {
	g, ok := t.groups[name]
	return g, ok
}

// Resolve classifies a system-call name the way seccomp_syscall_resolve_name() does.
func (t *Table) Resolve(name string) int {
	n, ok := t.names[name]
	switch {
	case !ok:
		return Unknown
	case n < 0:
		return Pseudo
	}
	return Native
}
