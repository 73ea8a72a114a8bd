// Package signals infers, statically, what a service needs from the
// package that ships it: each signal is a small documented rule over the
// package model (files, modes, owners, dependencies, maintainer scripts,
// kept configuration files) and the loaded unit. The policy tiers name the
// signals that rule a directive out (templates/tiers/*.tier,
// "Ruled-Out-By"), so a signal's name is a contract with those files.
//
// Every signal that fires carries its evidence — the file inside the
// package, the line (0 when not line-based) and the text that fired — so a
// skipped directive can always say why. The package also infers the
// paths the service writes (Result.Writable), which ProtectSystem=strict
// must keep writable.
//
// Command-line rules read the unit's Exec*= lines (ExecCondition= to
// ExecStopPost=), through "sh -c" scripts and wrappers such as env, nice
// and sudo; a line whose commands all carry the "+" prefix runs outside
// the sandbox and is ignored. Dependency rules read Depends, Pre-Depends
// (and, where a rule says so, Recommends) of a .deb and Requires of an
// .rpm; a staging directory has no dependencies, so they do not fire
// there.
//
// Rules err on the side of firing: a signal only ever removes a
// protection, and a protection that breaks the daemon is worse than one
// not applied (DESIGN.md, Policy tiers). They stay narrow enough that an
// ordinary daemon fires none.
package signals

import (
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// Input is what the rules look at.
type Input struct {
	Pkg   *pkgmodel.Package
	Unit  *unitload.Unit   // the service unit being hardened
	Info  *secinfo.Info    // its effective settings
	Units []*unitload.Unit // every unit of the package (services, sockets), loaded; may include Unit
}

// Signal is a fired rule with what made it fire (at least one evidence).
type Signal struct {
	Name     string
	Evidence []finding.Evidence
}

// Writable is a path the service writes, and the directive that keeps it
// writable under ProtectSystem=strict.
type Writable struct {
	Path      string // absolute: "/var/lib/foo"
	Directive string // "ReadWritePaths", "StateDirectory", "CacheDirectory", "LogsDirectory", "RuntimeDirectory"
	Value     string // the directive's value: "-/var/lib/foo" or "foo"
	Evidence  finding.Evidence
	// Existing is set when the unit already has this setting (Evidence is
	// its assignment, Value as written): nothing to add, but a path the
	// caller must not grant twice or lose.
	Existing bool
}

// Result is every fired signal by name, and the writable paths sorted by
// Value (then Directive), one per path.
type Result struct {
	Fired    map[string]*Signal
	Writable []Writable
}

// Has reports whether the named signal fired.
func (r Result) Has(name string) bool { return r.Fired[name] != nil }

// Names returns the fired signals' names, sorted.
func (r Result) Names() []string {
	out := make([]string, 0, len(r.Fired))
	for n := range r.Fired {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Rule is a signal's name and its documentation.
type Rule struct {
	Name, Doc string
}

// Rules returns every signal with its one-paragraph documentation, in
// evaluation order.
func Rules() []Rule {
	out := make([]Rule, len(rules))
	for i, r := range rules {
		out[i] = Rule{Name: r.name, Doc: r.doc}
	}
	return out
}

// Evaluate runs every rule and infers the writable paths.
func Evaluate(in Input) Result {
	c := newCtx(in)
	res := Result{Fired: map[string]*Signal{}}
	for _, r := range rules {
		if ev := r.eval(c); len(ev) > 0 {
			res.Fired[r.name] = &Signal{Name: r.name, Evidence: dedupEvidence(ev)}
			c.fired[r.name] = res.Fired[r.name]
		}
	}
	res.Writable = c.writable()
	return res
}

// RunsAsRoot reports whether the service runs as root: no User= (or
// User=root, User=0) and no DynamicUser=.
func RunsAsRoot(info *secinfo.Info) bool {
	if info == nil {
		return true
	}
	if info.DynamicUser {
		return false
	}
	switch strings.TrimSpace(info.User) {
	case "", "root", "0":
		return true
	}
	return false
}

func dedupEvidence(ev []finding.Evidence) []finding.Evidence {
	seen := map[finding.Evidence]bool{}
	out := ev[:0:0]
	for _, e := range ev {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
