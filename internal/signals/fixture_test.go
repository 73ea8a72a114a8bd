package signals_test

import (
	"io/fs"
	"sort"
	"strings"
	"testing"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// unitDir is where fixtures put their units.
const unitDir = "/lib/systemd/system/"

// fixture is a synthetic package: files by path (units are given by bare
// name and land in unitDir), extra entries with metadata, control fields
// and maintainer scripts. The zero value is a Debian package "foo" whose
// foo.service runs /usr/sbin/food.
type fixture struct {
	format  pkgmodel.Format
	name    string
	control map[string]string
	files   map[string]string
	entries []pkgmodel.Entry
	scripts []pkgmodel.Script
	unit    string // the service evaluated; "foo.service" when empty
}

const defaultUnit = "[Service]\nExecStart=/usr/sbin/food\n"

// svc is a unit file with [Service] lines after the default ExecStart.
func svc(lines ...string) string {
	return defaultUnit + strings.Join(lines, "\n") + "\n"
}

// dir is a shipped directory entry.
func dir(p, owner string) pkgmodel.Entry {
	return pkgmodel.Entry{Path: p, Type: tree.Dir, Mode: fs.ModeDir | 0o755, Owner: owner, Group: owner, UID: 0, GID: 0}
}

// file is a shipped regular file entry (contents not kept).
func file(p string, mode fs.FileMode, owner string) pkgmodel.Entry {
	return pkgmodel.Entry{Path: p, Type: tree.Regular, Mode: mode, Owner: owner, Group: owner}
}

func (fx fixture) build(t *testing.T) *pkgmodel.Package {
	t.Helper()
	format := fx.format
	if format == "" {
		format = pkgmodel.Deb
	}
	b := pkgmodel.NewBuilder(format, "test")
	files := map[string]string{}
	for p, data := range fx.files {
		if !strings.HasPrefix(p, "/") {
			p = unitDir + p
		}
		files[p] = data
	}
	if _, ok := fx.files["foo.service"]; !ok && fx.unit == "" {
		files[unitDir+"foo.service"] = defaultUnit
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		e := pkgmodel.Entry{Path: p, Type: tree.Regular, Mode: 0o644, Owner: "root", Group: "root", Size: int64(len(files[p]))}
		if err := b.Add(e, []byte(files[p])); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range fx.entries {
		if err := b.Add(e, nil); err != nil {
			t.Fatal(err)
		}
	}
	p := b.Package()
	p.Scripts = fx.scripts
	if format != pkgmodel.Dir {
		p.Name = fx.name
		if p.Name == "" {
			p.Name = "foo"
		}
		for k, v := range fx.control {
			p.Control[k] = v
		}
	}
	return p
}

// eval builds the package, loads its units as the CLI does and evaluates
// the service under test.
func (fx fixture) eval(t *testing.T) signals.Result {
	t.Helper()
	p := fx.build(t)
	l, err := unitload.New(p.Tree, 252)
	if err != nil {
		t.Fatal(err)
	}
	name := fx.unit
	if name == "" {
		name = "foo.service"
	}
	var all []*unitload.Unit
	var unit *unitload.Unit
	for _, typ := range []string{"service", "socket"} {
		for _, n := range l.Names(typ) {
			u, err := l.Load(n)
			if err != nil {
				t.Fatalf("loading %s: %v", n, err)
			}
			all = append(all, u)
			if n == name {
				unit = u
			}
		}
	}
	if unit == nil {
		t.Fatalf("unit %s not in the fixture", name)
	}
	info, _, err := secinfo.Compute(secinfo.Input{ID: unit.ID, Path: unit.Path, Files: unit.Files, Version: 252})
	if err != nil {
		t.Fatal(err)
	}
	return signals.Evaluate(signals.Input{Pkg: p, Unit: unit, Info: info, Units: all})
}
