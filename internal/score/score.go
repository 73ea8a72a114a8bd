// Package score ties loading and assessment together: given a root (or a
// unit file) it returns one result per unit, the way
// `systemd-analyze security --offline --root=…` sees them.
package score

import (
	"errors"
	"fmt"
	"sort"

	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// Unit is the outcome for one unit name.
type Unit struct {
	Unit       string // as shipped ("foo@.service")
	AnalyzedAs string // "foo@i.service" on 252
	Path       string // path inside the root
	AliasOf    string
	Masked     bool
	Type       string // "service", "socket", "timer", …
	// Result is nil for masked units, units that are not services, and
	// units that failed to load (Err).
	Result   *exposure.Result
	Warnings []unitfile.Diag
	Err      error
}

// Scorer scores units for one systemd version.
type Scorer struct {
	version int
	exp     *exposure.Scorer
}

// New returns a scorer for a modelled systemd version.
func New(version int) (*Scorer, error) {
	e, err := exposure.New(version)
	if err != nil {
		return nil, err
	}
	return &Scorer{version: version, exp: e}, nil
}

// Version is the targeted systemd version.
func (s *Scorer) Version() int { return s.version }

// listedTypes are the unit types a tree listing reports.
var listedTypes = []string{"service", "socket", "timer"}

// Tree scores every service unit in the unit directories of root and lists
// its sockets and timers (their systemd scores are meaningless).
func (s *Scorer) Tree(t tree.FS) ([]Unit, error) {
	l, err := unitload.New(t, s.version)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, typ := range listedTypes {
		names = append(names, l.Names(typ)...)
	}
	sort.Strings(names)
	out := make([]Unit, 0, len(names))
	for _, n := range names {
		out = append(out, s.unit(l, n))
	}
	return out, nil
}

// Named scores the named units of root.
func (s *Scorer) Named(t tree.FS, names ...string) ([]Unit, error) {
	l, err := unitload.New(t, s.version)
	if err != nil {
		return nil, err
	}
	out := make([]Unit, 0, len(names))
	for _, n := range names {
		out = append(out, s.unit(l, n))
	}
	return out, nil
}

// File scores a unit file given without a root: only its own directory is
// searched (for the file and its drop-ins).
func (s *Scorer) File(dir tree.FS, name string) (Unit, error) {
	l, err := unitload.NewWithPaths(dir, s.version, []string{"/"})
	if err != nil {
		return Unit{}, err
	}
	return s.unit(l, name), nil
}

func (s *Scorer) unit(l *unitload.Loader, name string) Unit {
	p, _ := unitname.Parse(name)
	u := Unit{Unit: name, AnalyzedAs: name, Type: p.Type, Path: l.Path(name)}
	lu, err := l.Load(name)
	if err != nil {
		u.Err = err
		return u
	}
	u.AnalyzedAs, u.Masked, u.Warnings = lu.ID, lu.Masked, lu.Warnings
	if lu.AliasOf != "" {
		u.AliasOf = lu.AliasOf
	}
	if lu.Masked || p.Type != "service" {
		return u
	}
	info, warns, err := secinfo.Compute(secinfo.Input{ID: lu.ID, Path: lu.Path, Files: lu.Files, Version: s.version})
	u.Warnings = append(u.Warnings, warns...)
	if err != nil {
		u.Err = err
		return u
	}
	r := s.exp.Assess(info)
	u.Result = &r
	return u
}

// IsLoadError reports whether err means the unit itself is broken (as
// opposed to the tree being unreadable).
func IsLoadError(err error) bool {
	var pe *unitfile.Error
	var le *secinfo.LoadError
	var nf *unitload.NotFoundError
	return errors.As(err, &pe) || errors.As(err, &le) || errors.As(err, &nf)
}

// Describe is a one-line description of a unit error, naming the file.
func Describe(u Unit) string {
	if u.Err == nil {
		return ""
	}
	return fmt.Sprint(u.Err)
}
