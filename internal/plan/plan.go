// Package plan decides, for each service unit of a package, which
// directives of a policy tier to add, which to skip and why, and what the
// exposure will be afterwards. A Plan is the only thing the deciders
// produce; the sinks (drop-ins in a tree, a rewritten .deb) execute it.
package plan

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/directives"
	"github.com/systemd-harden/systemd-harden/internal/dynuser"
	"github.com/systemd-harden/systemd-harden/internal/exposure"
	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/sysnames"
	"github.com/systemd-harden/systemd-harden/internal/tiers"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// DropinName is the file every face writes (Contracts: Drop-in name and place).
const DropinName = "10-systemd-harden.conf"

// marker starts every drop-in we write; a file with it is ours to replace.
const marker = "# Written by systemd-harden"

// Added is a directive the plan adds.
type Added struct {
	Directive string `json:"directive"`
	Value     string `json:"value"`
	Reason    string `json:"reason"`
}

// Skipped is a directive of the tier the plan does not add, with the
// signal that ruled it out.
type Skipped struct {
	Directive string           `json:"directive"`
	Signal    string           `json:"signal"`
	Evidence  finding.Evidence `json:"evidence"`
}

// Unit is the plan for one service unit.
type Unit struct {
	Unit     string // as shipped ("foo@.service")
	Path     string // fragment path
	Tier     string // the tier applied
	Status   string // rewritten | unchanged | refused
	Before   uint64 // exposure in tenths, as shipped (without our drop-in)
	After    uint64 // predicted exposure with the drop-in
	Added    []Added
	Skipped  []Skipped
	Findings []finding.Finding
	// Dropin is the drop-in's path inside the package ("" when nothing is
	// added) and Content its bytes.
	Dropin  string
	Content []byte
	// Existing is true when the same drop-in is already in place.
	Existing bool
	// Dynamic is the dynamic-user readiness analysis (dynamic-user tier).
	Dynamic *dynuser.Analysis
}

// Options select what is planned.
type Options struct {
	Tier        string
	Version     int    // target systemd version
	ToolVersion string // written into the drop-in's header
	Units       []string
	Config      *Config // per-package configuration; nil for none
}

// Config is the part of the per-package configuration the planner uses.
type Config struct {
	// Add lists extra assignments per unit pattern.
	Add []UnitDirective
	// Drop lists tier directives removed per unit pattern, with the reason.
	Drop []UnitDirective
}

// UnitDirective is one "unit PATTERN add|drop …" statement.
type UnitDirective struct {
	Pattern string // glob on the unit name
	Key     string
	Value   string // for add
	Reason  string // for drop
	Line    int
	File    string
	Used    bool
}

// Planner plans for one package.
type Planner struct {
	pkg   *pkgmodel.Package
	opt   Options
	tier  *tiers.Tier
	exp   *exposure.Scorer
	caps  sysnames.Table
	units []*unitload.Unit
}

// New prepares a planner.
func New(pkg *pkgmodel.Package, set *tiers.Set, opt Options) (*Planner, error) {
	t, ok := set.Get(opt.Tier)
	if !ok {
		return nil, fmt.Errorf("unknown tier %q (%s)", opt.Tier, strings.Join(set.Names(), ", "))
	}
	e, err := exposure.New(opt.Version)
	if err != nil {
		return nil, err
	}
	return &Planner{pkg: pkg, opt: opt, tier: t, exp: e, caps: sysnames.Capabilities()}, nil
}

// ours reports whether p is a drop-in written by us (by name and marker).
func ours(fsys tree.FS, p string) bool {
	if path.Base(p) != DropinName {
		return false
	}
	b, err := fsys.ReadFile(p, unitfile.MaxFile)
	return err == nil && bytes.HasPrefix(b, []byte(marker))
}

// Plan plans every service unit of the package (or the named ones). With
// check set, our own drop-ins count as part of the package (the package
// is judged as it is); otherwise they are ignored and recomputed.
func (p *Planner) Plan(check bool) ([]Unit, error) {
	base := p.pkg.Tree
	var fsys tree.FS = base
	if !check {
		fsys = tree.NewOverlay(base, nil, func(q string) bool { return ours(base, q) })
	}
	l, err := unitload.New(fsys, p.opt.Version)
	if err != nil {
		return nil, err
	}
	names := l.Names("service")
	for _, n := range append(l.Names("socket"), names...) {
		if u, err := l.Load(n); err == nil && !u.Masked {
			p.units = append(p.units, u)
		}
	}
	want := map[string]bool{}
	for _, u := range p.opt.Units {
		want[u] = true
	}
	// A unit asked for by name that the package lacks is an error: a typo
	// in a subpackage's list would otherwise ship it unhardened.
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, u := range p.opt.Units {
		if !have[u] {
			return nil, fmt.Errorf("unit %s: not a service unit of this package (it has: %s)", u, orNone(names))
		}
	}
	var out []Unit
	for _, n := range names {
		if len(want) > 0 && !want[n] {
			continue
		}
		u, err := l.Load(n)
		if err != nil {
			out = append(out, p.failed(n, l.Path(n), err))
			continue
		}
		if u.Masked || u.AliasOf != "" {
			continue // the unit an alias names gets the plan
		}
		out = append(out, p.unit(fsys, u, check))
	}
	return out, nil
}

func (p *Planner) failed(name, at string, err error) Unit {
	f := p.finding(name, "unit-parse-error", finding.Error, err.Error(), at, 0)
	var pe *unitfile.Error
	if e, ok := err.(*unitfile.Error); ok {
		pe = e
		f.Path, f.Line = pe.Path, pe.Line
	}
	return Unit{Unit: name, Path: at, Tier: p.opt.Tier, Status: "refused", Findings: []finding.Finding{f}}
}

func (p *Planner) finding(unit, tag string, sev finding.Severity, detail, file string, line int) finding.Finding {
	return finding.Finding{Package: p.pkg.Name, Version: p.pkg.Version, Arch: p.pkg.Arch, Unit: unit, Tag: tag,
		Severity: sev, Detail: detail, Path: file, Line: line, Tier: p.opt.Tier}
}

// info computes the effective settings of a loaded unit.
func (p *Planner) info(u *unitload.Unit) (*secinfo.Info, error) {
	info, _, err := secinfo.Compute(secinfo.Input{ID: u.ID, Path: u.Path, Files: u.Files, Version: p.opt.Version})
	return info, err
}

// dropinPath places the drop-in in the vendor unit directory the unit's
// fragment is in (never /etc), named after the fragment.
func dropinPath(u *unitload.Unit) string {
	dir := path.Dir(u.Path)
	if dir != "/lib/systemd/system" && dir != "/usr/lib/systemd/system" {
		dir = "/usr/lib/systemd/system"
	}
	return path.Join(dir, path.Base(u.Path)+".d", DropinName)
}

// explicit returns where the unit assigns key itself, if it does.
func explicit(u *unitload.Unit, key string) (finding.Evidence, bool) {
	var ev finding.Evidence
	found := false
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section == "Service" && a.Key == key {
				ev = finding.Evidence{Path: f.Path, Line: a.Line, Text: a.Key + "=" + a.Value}
				found = true
			}
		}
	}
	return ev, found
}

// rowBadness maps json_field → badness (NA rows are left out).
func rowBadness(r exposure.Result) map[string]uint64 {
	m := map[string]uint64{}
	for _, row := range r.Rows {
		if !row.NA {
			m[row.Item.JSONField] = row.Badness
		}
	}
	return m
}

type unitState struct {
	fsys   tree.FS
	sim    string // where simulated lines go: our drop-in, or beside it when checking
	u      *unitload.Unit
	info   *secinfo.Info
	before exposure.Result
	root   bool
	sig    signals.Result
	dyn    *dynuser.Analysis // the dynamic-user conversion, when the tier asks for it and it is ready
	// sandbox is the maintainer-sandboxed signal when checking (it rules
	// nothing out then; its gaps are reported apart).
	sandbox *signals.Signal
}

// score loads the unit again with extra drop-in lines and assesses it.
func (p *Planner) score(st *unitState, lines []string) (exposure.Result, error) {
	content := render(p.opt, st.u, p.tier.Name, lines)
	o := tree.NewOverlay(st.fsys, map[string][]byte{st.sim: content}, nil)
	l, err := unitload.New(o, p.opt.Version)
	if err != nil {
		return exposure.Result{}, err
	}
	u, err := l.Load(st.u.Requested)
	if err != nil {
		return exposure.Result{}, err
	}
	info, err := p.info(u)
	if err != nil {
		return exposure.Result{}, err
	}
	return p.exp.Assess(info), nil
}

func (p *Planner) unit(fsys tree.FS, u *unitload.Unit, check bool) Unit {
	out := Unit{Unit: u.Requested, Path: u.Path, Tier: p.tier.Name, Dropin: dropinPath(u)}
	info, err := p.info(u)
	if err != nil {
		return p.failed(u.Requested, u.Path, err)
	}
	st := &unitState{fsys: fsys, sim: out.Dropin, u: u, info: info, before: p.exp.Assess(info), root: signals.RunsAsRoot(info)}
	if check {
		// The package is judged with our drop-in in place: simulate
		// additions beside it, not instead of it.
		st.sim = strings.TrimSuffix(out.Dropin, ".conf") + "-check.conf"
	}
	st.sig = p.evaluate(st, signals.Input{Pkg: p.pkg, Unit: u, Info: info, Units: p.units}, check)
	out.Before = st.before.Exposure
	if p.wantsDynamic() {
		a := dynuser.Analyze(signals.Input{Pkg: p.pkg, Unit: u, Info: info, Units: p.units}, st.sig)
		out.Dynamic = a
		if !a.Ready() || st.sig.Has("early-boot") {
			p.refuseDynamic(&out, a, st, check)
		} else if !info.DynamicUser {
			st.dyn = a
			// The service will not run as root: plan the strict tier for
			// a transient user, with the signals that depend on it.
			dinfo := *info
			dinfo.User, dinfo.DynamicUser = a.Dynamic, true
			st.root = false
			st.sig = p.evaluate(st, signals.Input{Pkg: p.pkg, Unit: u, Info: &dinfo, Units: p.units}, check)
			for _, f := range a.FixUps {
				out.Findings = append(out.Findings, p.finding(u.Requested, f.Tag, finding.Info, f.Detail, f.Evidence.Path, f.Evidence.Line))
			}
		}
	}
	var lines []string
	keys := map[string]bool{}
	for _, d := range p.tier.Directives {
		added, skipped, fs := p.directive(st, d, lines, keys)
		if len(added) > 0 && d.Merge != "dynamic-user" {
			// (The dynamic-user conversion is judged by its own readiness
			// analysis: the SupplementaryGroups= it may need keeps a group
			// the static user already had.)
			// Never weaken: a directive that would grade any item worse than
			// the unit as shipped (e.g. ProtectClock= adding a char-rtc
			// device rule to a unit that already has an empty device ACL) is
			// left out.
			if ev, worse := p.weakens(st, append(append([]string(nil), lines...), added...)); worse {
				added = nil
				skipped = append(skipped, Skipped{Directive: d.Key, Signal: "would-weaken", Evidence: ev})
				fs = append(fs, p.finding(u.Requested, "tier-directive-skipped", finding.Info,
					fmt.Sprintf("%s: would-weaken (%s)", d.Key, ev.Text), u.Path, 0))
			}
		}
		lines = append(lines, added...)
		for _, a := range added {
			k, v, _ := strings.Cut(a, "=")
			keys[k] = true
			out.Added = append(out.Added, Added{Directive: k, Value: v, Reason: d.Rationale})
		}
		out.Skipped = append(out.Skipped, skipped...)
		out.Findings = append(out.Findings, fs...)
	}
	lines = p.configLines(u, lines, &out, check)
	if check {
		// Judging the package as it is: every directive that would be added
		// is a gap.
		for _, a := range out.Added {
			// A gap the unit's own sandbox leaves out is one apply would not
			// close either: a warning, so that check passes on what apply
			// produced and still tells the maintainer.
			if st.sandbox != nil && p.sandboxRulesOut(a.Directive) {
				ev := st.sandbox.Evidence[0]
				out.Findings = append(out.Findings, p.finding(u.Requested, "tier-directive-missing-sandboxed", finding.Warning,
					fmt.Sprintf("%s=%s (tier %s)", a.Directive, a.Value, p.tier.Name), ev.Path, ev.Line))
				continue
			}
			out.Findings = append(out.Findings, p.finding(u.Requested, "tier-directive-missing", finding.Error,
				fmt.Sprintf("%s=%s (tier %s)", a.Directive, a.Value, p.tier.Name), u.Path, 0))
		}
		out.After, out.Status, out.Dropin = out.Before, "unchanged", ""
		out.Added = nil
		return out
	}
	if len(lines) == 0 {
		out.After, out.Status, out.Dropin = out.Before, "unchanged", ""
		return out
	}
	out.Content = render(p.opt, u, out.Tier, lines)
	after, err := p.score(st, lines)
	if err != nil {
		return p.failed(u.Requested, u.Path, err)
	}
	out.After = after.Exposure
	out.Status = "rewritten"
	if b, err := p.pkg.Tree.ReadFile(out.Dropin, unitfile.MaxFile); err == nil && bytes.Equal(b, out.Content) {
		out.Existing, out.Status = true, "unchanged"
	}
	return out
}

// configLines applies the package configuration's additions and removals.
func (p *Planner) configLines(u *unitload.Unit, lines []string, out *Unit, check bool) []string {
	if p.opt.Config == nil {
		return lines
	}
	for i := range p.opt.Config.Drop {
		c := &p.opt.Config.Drop[i]
		if !match(c.Pattern, u.Requested) {
			continue
		}
		c.Used = true
		kept := lines[:0:0]
		removed := false
		for _, l := range lines {
			if k, _, _ := strings.Cut(l, "="); k == c.Key {
				removed = true
				continue
			}
			kept = append(kept, l)
		}
		if removed {
			lines = kept
			var added []Added
			for _, a := range out.Added {
				if a.Directive != c.Key {
					added = append(added, a)
				}
			}
			out.Added = added
			out.Skipped = append(out.Skipped, Skipped{Directive: c.Key, Signal: "config",
				Evidence: finding.Evidence{Path: c.File, Line: c.Line, Text: "because " + c.Reason}})
			out.Findings = append(out.Findings, p.finding(u.Requested, "config-directive-removed", finding.Info,
				fmt.Sprintf("%s: %s", c.Key, c.Reason), c.File, c.Line))
		}
	}
	for i := range p.opt.Config.Add {
		c := &p.opt.Config.Add[i]
		if !match(c.Pattern, u.Requested) {
			continue
		}
		c.Used = true
		if check && present(u, c.Key, c.Value) {
			continue // the package already sets it (our drop-in, or by hand)
		}
		lines = append(lines, c.Key+"="+c.Value)
		out.Added = append(out.Added, Added{Directive: c.Key, Value: c.Value, Reason: fmt.Sprintf("added by %s:%d", c.File, c.Line)})
	}
	return lines
}

// present reports whether the unit's files already set key to value: the
// last assignment equals it, or, for list settings, every word of value is
// among the words assigned since the last reset (an empty assignment).
func present(u *unitload.Unit, key, value string) bool {
	var last string
	words := map[string]bool{}
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Key != key || (a.Section != "Service" && a.Section != "Unit") {
				continue
			}
			last = a.Value
			if a.Value == "" {
				words = map[string]bool{}
			}
			for _, w := range strings.Fields(a.Value) {
				words[w] = true
			}
		}
	}
	if value != "" && last == value {
		return true
	}
	for _, w := range strings.Fields(value) {
		if !words[w] {
			return false
		}
	}
	return len(strings.Fields(value)) > 0
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func match(pattern, name string) bool {
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// directive decides one tier directive for a unit: the lines to add, or
// why not.
func (p *Planner) directive(st *unitState, d *tiers.Directive, sofar []string, keys map[string]bool) ([]string, []Skipped, []finding.Finding) {
	u := st.u
	skip := func(signal string, ev finding.Evidence, tag string, sev finding.Severity) ([]string, []Skipped, []finding.Finding) {
		f := p.finding(u.Requested, tag, sev, fmt.Sprintf("%s: %s (%s)", d.Key, signal, ev), ev.Path, ev.Line)
		return nil, []Skipped{{Directive: d.Key, Signal: signal, Evidence: ev}}, []finding.Finding{f}
	}
	// Never emit what the target systemd would ignore (it fails open).
	if d.Since > p.opt.Version || !directives.Known(p.opt.Version, "Service", d.Key) {
		return skip("systemd-version", finding.Evidence{Text: fmt.Sprintf("%s= needs systemd %d, the target is %d", d.Key, d.Since, p.opt.Version)},
			"tier-directive-unsupported", finding.Info)
	}
	if d.Key == "SystemCallErrorNumber" && !keys["SystemCallFilter"] {
		return nil, nil, nil // only with the filter we add
	}
	if d.Merge == "paths" {
		return p.paths(st, keys), nil, nil
	}
	if d.Merge == "dynamic-user" {
		if st.dyn == nil {
			return nil, nil, nil // refused (reported) or already dynamic
		}
		return st.dyn.Lines, nil, nil
	}
	// A directive the unit already meets, at least as strictly (implied
	// settings and narrower lists count), needs nothing.
	satisfied, err := p.satisfied(st, d, d.Values(st.root))
	if err == nil && satisfied {
		return nil, nil, nil
	}
	if ev, ok := explicit(u, d.Key); ok {
		return skip("explicit", ev, "tier-directive-explicit", finding.Info)
	}
	for cur := d; cur != nil; cur = cur.Base {
		sig := firstFired(st.sig, cur.RuledOutBy)
		if sig == nil {
			if cur != d {
				// The stronger value is ruled out; record that, keep the weaker.
				s := firstFired(st.sig, d.RuledOutBy)
				_, sk, fs := skip(s.Name, s.Evidence[0], "tier-directive-skipped", finding.Info)
				if ok, err := p.satisfied(st, cur, cur.Values(st.root)); err == nil && ok {
					return nil, sk, fs
				}
				return p.lines(st, cur), sk, fs
			}
			return p.lines(st, cur), nil, nil
		}
		if cur.Base == nil {
			return skip(sig.Name, sig.Evidence[0], "tier-directive-skipped", finding.Info)
		}
	}
	return nil, nil, nil
}

// evaluate runs the signals. A maintainer's sandbox rules directives out
// of a rewrite only: the check still reports what the tier has that the
// sandbox lacks (as tier-directive-missing-sandboxed warnings), or the
// checker would pass every hand-written sandbox silently.
func (p *Planner) evaluate(st *unitState, in signals.Input, check bool) signals.Result {
	r := signals.Evaluate(in)
	if check {
		if s, ok := r.Fired["maintainer-sandboxed"]; ok && len(s.Evidence) > 0 {
			st.sandbox = s
		}
		delete(r.Fired, "maintainer-sandboxed")
	}
	return r
}

// sandboxRulesOut reports whether the tier's directive key lists
// maintainer-sandboxed among the signals that rule it out.
func (p *Planner) sandboxRulesOut(key string) bool {
	for _, d := range p.tier.Directives {
		for cur := d; cur != nil; cur = cur.Base {
			if cur.Key == key {
				for _, n := range cur.RuledOutBy {
					if n == "maintainer-sandboxed" {
						return true
					}
				}
			}
		}
	}
	return false
}

func firstFired(r signals.Result, names []string) *signals.Signal {
	for _, n := range names {
		if s, ok := r.Fired[n]; ok && len(s.Evidence) > 0 {
			return s
		}
	}
	return nil
}

// weakens reports whether the unit with lines grades some item worse
// than as shipped.
func (p *Planner) weakens(st *unitState, lines []string) (finding.Evidence, bool) {
	with, err := p.score(st, lines)
	if err != nil {
		return finding.Evidence{}, false
	}
	before := rowBadness(st.before)
	for _, row := range with.Rows {
		if b, ok := before[row.Item.JSONField]; ok && !row.NA && row.Badness > b {
			return finding.Evidence{Path: st.u.Path, Text: fmt.Sprintf("%s would go from %d to %d of %d", row.Item.JSONField, b, row.Badness, row.Item.Range)}, true
		}
	}
	return finding.Evidence{}, false
}

// satisfied reports whether the unit already grades every item the
// directive satisfies at least as well as the directive would.
func (p *Planner) satisfied(st *unitState, d *tiers.Directive, values []string) (bool, error) {
	if len(d.Satisfies) == 0 {
		return false, nil
	}
	lines := p.linesFor(st, d, values)
	if len(lines) == 0 {
		return true, nil
	}
	with, err := p.score(st, lines)
	if err != nil {
		return false, err
	}
	before, after := rowBadness(st.before), rowBadness(with)
	for _, item := range d.Satisfies {
		b, okb := before[item]
		a, oka := after[item]
		if !okb || !oka {
			continue // not applicable (early boot, root): nothing to gain
		}
		if b > a {
			return false, nil
		}
	}
	return true, nil
}

func (p *Planner) lines(st *unitState, d *tiers.Directive) []string {
	return p.linesFor(st, d, d.Values(st.root))
}

// linesFor renders a directive's assignments, merging lists with what the
// unit already has so the result never restricts less than before.
func (p *Planner) linesFor(st *unitState, d *tiers.Directive, values []string) []string {
	switch d.Merge {
	case "capabilities":
		return []string{d.Key + "=" + p.capabilities(st, values)}
	}
	var out []string
	for _, v := range values {
		out = append(out, d.Key+"="+v)
	}
	if len(values) == 0 {
		out = append(out, d.Key+"=")
	}
	return out
}

// capabilities intersects the tier's set with the unit's current bounding
// set and keeps the unit's ambient capabilities.
func (p *Planner) capabilities(st *unitState, values []string) string {
	var want uint64
	for _, v := range values {
		for _, name := range strings.Fields(v) {
			if n, ok := p.caps.Lookup(name); ok {
				want |= 1 << uint(n)
			}
		}
	}
	final := (want & st.info.CapabilityBoundingSet) | st.info.AmbientCapabilities
	var names []string
	for name, n := range p.caps {
		if final&(1<<uint(n)) != 0 {
			names = append(names, strings.ToUpper(name))
		}
	}
	sort.Slice(names, func(i, j int) bool {
		a, _ := p.caps.Lookup(names[i])
		b, _ := p.caps.Lookup(names[j])
		return a < b
	})
	return strings.Join(names, " ")
}

// paths grants the package's writable paths when the plan makes the file
// system read-only (ProtectSystem=strict), as ReadWritePaths= or a
// *Directory= the unit's user owns.
func (p *Planner) paths(st *unitState, keys map[string]bool) []string {
	if !keys["ProtectSystem"] {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range st.sig.Writable {
		if w.Existing {
			continue // the unit already grants it
		}
		if st.dyn != nil && dynuser.Managed(st.dyn, w.Path) {
			continue // a *Directory= of the dynamic user replaces it
		}
		l := w.Directive + "=" + w.Value
		if seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// render writes the drop-in: a header naming the tool, version, tier and
// how to override, then the [Service] section.
func render(opt Options, u *unitload.Unit, tier string, lines []string) []byte {
	var b bytes.Buffer
	name := path.Base(u.Path)
	fmt.Fprintf(&b, "%s %s, tier %s, for systemd %d.\n", marker, opt.ToolVersion, tier, opt.Version)
	fmt.Fprintf(&b, "# To change a setting, add a drop-in that sorts later, e.g.\n")
	fmt.Fprintf(&b, "# /etc/systemd/system/%s.d/50-local.conf; to disable this file, create\n", name)
	fmt.Fprintf(&b, "# /etc/systemd/system/%s.d/%s as a symlink to /dev/null.\n", name, DropinName)
	fmt.Fprintf(&b, "[Service]\n")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ServiceNames is a helper for callers that want to validate unit
// arguments: the service units a package ships.
func ServiceNames(fsys tree.FS, version int) ([]string, error) {
	l, err := unitload.New(fsys, version)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range l.Names("service") {
		if _, ok := unitname.Parse(n); ok {
			out = append(out, n)
		}
	}
	return out, nil
}

func (p *Planner) wantsDynamic() bool {
	for _, d := range p.tier.Directives {
		if d.Merge == "dynamic-user" {
			return true
		}
	}
	return false
}

// refuseDynamic reports a unit the dynamic-user tier cannot convert: the
// blockers, and a warning that the strongest tier that is not refused
// (strict) is applied instead (Contracts: Refused units).
func (p *Planner) refuseDynamic(out *Unit, a *dynuser.Analysis, st *unitState, check bool) {
	var reasons []string
	for _, b := range a.Blockers {
		reasons = append(reasons, b.Tag)
		out.Findings = append(out.Findings, p.finding(out.Unit, b.Tag, finding.Error, b.Detail, b.Evidence.Path, b.Evidence.Line))
	}
	if s, ok := st.sig.Fired["early-boot"]; ok && len(s.Evidence) > 0 {
		reasons = append(reasons, "early-boot")
		out.Skipped = append(out.Skipped, Skipped{Directive: "DynamicUser", Signal: "early-boot", Evidence: s.Evidence[0]})
	}
	base := p.tier.BuildsOn
	if !check {
		out.Tier = base
	}
	out.Findings = append(out.Findings, p.finding(out.Unit, "tier-refused", finding.Warning,
		fmt.Sprintf("tier %s refused (%s); tier %s applied", p.tier.Name, strings.Join(reasons, ", "), base), out.Path, 0))
}
