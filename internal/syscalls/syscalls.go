// Package syscalls holds systemd's system-call filter groups and the
// x86_64 system-call names libseccomp resolves, per modelled systemd
// version (data/README.md says how the tables were made).
package syscalls

import (
	"bufio"
	"embed"
	"fmt"
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
		tables[v.key] = t
	}
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
