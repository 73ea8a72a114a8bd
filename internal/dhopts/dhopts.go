// Package dhopts parses a debhelper command's options and environment the
// way Debian::Debhelper::Dh_Getopt and Dh_Lib do, so that dh_systemd_harden
// selects the same packages and honours the same switches as every other
// dh_* command. It exists as a library (not in cmd/) so the parsing can be
// tested against the exact argument vectors and environments dh passes.
package dhopts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ToolName is the command's name as it appears in debhelper logs.
const ToolName = "dh_systemd_harden"

// Options is the result of parsing: the packages to act on and every
// switch, after DH_INTERNAL_OPTIONS, DH_OPTIONS, argv and the environment.
type Options struct {
	// Packages to act on, in debian/control order of selection.
	Packages []string
	// MainPackage may use debian/<name> without a package prefix.
	MainPackage string
	Verbose     bool
	Quiet       bool
	NoAct       bool
	// TmpDir is -P/--tmpdir, or "" for debian/<pkg>.
	TmpDir string
	// Exclude are -X items and DH_ALWAYS_EXCLUDE entries: units whose
	// path contains one of them are left alone.
	Exclude []string
	// Units are the positional arguments.
	Units []string
	// Name is --name: configuration files become debian/<pkg>.<name>.systemd-harden.
	Name string
	// Override is set inside an override_dh_* target
	// (DH_INTERNAL_OVERRIDE); the log must then be written.
	Override bool

	// The command's own options.
	Tier           string
	SystemdVersion string
	CheckOnly      bool
	FailOn         string
	Report         string
	Help           bool

	// Warnings to print (debhelper prints them and carries on).
	Warnings []string
}

// UsageError is an option problem; the command exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// TmpDirFor is Dh_Lib's tmpdir(): the -P value, else debian/<pkg>.
func (o *Options) TmpDirFor(pkg string) string {
	if o.TmpDir != "" {
		return o.TmpDir
	}
	return filepath.Join("debian", pkg)
}

// optSpec is one option Getopt::Long knows: its names and whether it
// takes a value ("=s"), an optional value (":s") or none.
type optSpec struct {
	names    []string
	value    int // 0 none, 1 required, 2 optional
	apply    func(p *parser, name, val string) error
	toolOnly bool
}

const (
	noValue = iota
	needValue
	optValue
)

// parser holds Dh_Getopt's state across its three passes.
type parser struct {
	ctl  *Control
	host *Host
	o    *Options

	doPackages       []string
	doPackagesSet    bool
	doArch, doIndep  bool
	exclude          map[string]bool
	internalExcluded map[string]bool
	explicit         map[string]bool
	profileEnabled   map[string]bool
	profileExcluded  bool
	excludeLogged    bool
	mainPackage      string
	specs            []optSpec
	byName           map[string]*optSpec
}

func (p *parser) addPackages(kind string) error {
	pk, err := p.ctl.packages(kind, p.host)
	if err != nil {
		return err
	}
	p.doPackages = append(p.doPackages, pk...)
	p.doPackagesSet = true
	return nil
}

func newParser(ctl *Control, host *Host) *parser {
	p := &parser{ctl: ctl, host: host, o: &Options{}, exclude: map[string]bool{},
		internalExcluded: map[string]bool{}, explicit: map[string]bool{}}
	flag := func(set func(p *parser)) func(*parser, string, string) error {
		return func(p *parser, _, _ string) error { set(p); return nil }
	}
	ignore := func(*parser, string, string) error { return nil }
	p.specs = []optSpec{
		{names: []string{"v", "verbose"}, apply: flag(func(p *parser) { p.o.Verbose = true })},
		{names: []string{"no-act"}, apply: flag(func(p *parser) { p.o.NoAct = true })},
		{names: []string{"i", "indep"}, apply: func(p *parser, _, _ string) error { p.doIndep = true; return p.addPackages("indep") }},
		{names: []string{"a", "arch", "s", "same-arch"}, apply: func(p *parser, _, _ string) error { p.doArch = true; return p.addPackages("arch") }},
		{names: []string{"p", "package"}, value: needValue, apply: func(p *parser, _, v string) error {
			if !p.ctl.known(v) {
				return usagef("requested package %s via -p/--package, but it is not in debian/control", v)
			}
			if p.profileEnabled == nil {
				pk, err := p.ctl.packages("both", p.host)
				if err != nil {
					return err
				}
				p.profileEnabled = map[string]bool{}
				for _, n := range pk {
					p.profileEnabled[n] = true
				}
			}
			p.explicit[v] = true
			if p.profileEnabled[v] {
				p.doPackages = append(p.doPackages, v)
				p.doPackagesSet = true
			} else {
				p.profileExcluded = true
			}
			return nil
		}},
		{names: []string{"N", "no-package"}, value: needValue, apply: func(p *parser, _, v string) error {
			if !p.ctl.known(v) {
				return usagef("requested exclusion of %s via -N/--no-package, but it is not in debian/control", v)
			}
			p.exclude[v] = true
			return nil
		}},
		{names: []string{"remaining-packages"}, apply: flag(func(p *parser) { p.excludeLogged = true })},
		{names: []string{"dbg-package"}, value: needValue, apply: ignore},
		{names: []string{"n", "noscripts", "no-scripts"}, apply: ignore},
		{names: []string{"o", "onlyscripts", "only-scripts"}, apply: ignore},
		{names: []string{"X", "exclude"}, value: needValue, apply: func(p *parser, _, v string) error {
			p.o.Exclude = append(p.o.Exclude, v)
			return nil
		}},
		{names: []string{"d"}, apply: ignore},
		{names: []string{"P", "tmpdir"}, value: needValue, apply: func(p *parser, _, v string) error { p.o.TmpDir = v; return nil }},
		{names: []string{"u"}, value: needValue, apply: ignore},
		{names: []string{"V"}, value: optValue, apply: ignore},
		{names: []string{"A", "all"}, apply: ignore},
		{names: []string{"h", "help"}, apply: flag(func(p *parser) { p.o.Help = true })},
		{names: []string{"mainpackage"}, value: needValue, apply: func(p *parser, _, v string) error { p.mainPackage = v; return nil }},
		{names: []string{"name"}, value: needValue, apply: func(p *parser, _, v string) error { p.o.Name = v; return nil }},
		{names: []string{"error-handler"}, value: needValue, apply: ignore},
		// The command's own options (Dh_Getopt's "options" parameter).
		{names: []string{"tier"}, value: needValue, toolOnly: true, apply: func(p *parser, _, v string) error { p.o.Tier = v; return nil }},
		{names: []string{"systemd-version"}, value: needValue, toolOnly: true, apply: func(p *parser, _, v string) error { p.o.SystemdVersion = v; return nil }},
		{names: []string{"check-only"}, toolOnly: true, apply: flag(func(p *parser) { p.o.CheckOnly = true })},
		{names: []string{"fail-on"}, value: needValue, toolOnly: true, apply: func(p *parser, _, v string) error { p.o.FailOn = v; return nil }},
		{names: []string{"report"}, value: needValue, toolOnly: true, apply: func(p *parser, _, v string) error { p.o.Report = v; return nil }},
	}
	p.byName = map[string]*optSpec{}
	for i := range p.specs {
		for _, n := range p.specs[i].names {
			p.byName[n] = &p.specs[i]
		}
	}
	return p
}

// item is one recognised option occurrence.
type item struct {
	spec *optSpec
	name string
	val  string
}

// scan splits args like Getopt::Long with bundling, no_ignore_case and
// no_auto_abbrev: it returns the options, the -O values and the
// non-options, and whether every option was known and complete.
func (p *parser) scan(args []string) (items []item, tryO []string, rest []string, unknown []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			rest = append(rest, args[i+1:]...)
			return
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			s := p.byName[name]
			if s == nil || len(name) == 1 {
				unknown = append(unknown, a)
				continue
			}
			switch s.value {
			case noValue:
				if hasVal {
					unknown = append(unknown, a)
					continue
				}
			case needValue:
				if !hasVal {
					if i+1 >= len(args) {
						unknown = append(unknown, a)
						continue
					}
					i++
					val = args[i]
				}
			case optValue:
			}
			items = append(items, item{s, name, val})
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// Bundled single-letter options: -vi, -pfoo, -p foo, -O--x=y.
			for j := 1; j < len(a); j++ {
				c := string(a[j])
				if c == "O" {
					v := a[j+1:]
					if v == "" {
						if i+1 >= len(args) {
							unknown = append(unknown, a)
							break
						}
						i++
						v = args[i]
					}
					tryO = append(tryO, v)
					break
				}
				s := p.byName[c]
				if s == nil {
					unknown = append(unknown, "-"+c)
					continue
				}
				if s.value == noValue {
					items = append(items, item{s, c, ""})
					continue
				}
				v := a[j+1:]
				if v == "" && s.value == needValue {
					if i+1 >= len(args) {
						unknown = append(unknown, a)
						break
					}
					i++
					v = args[i]
				}
				items = append(items, item{s, c, v})
				break
			}
		default:
			rest = append(rest, a)
		}
	}
	return
}

// getoptions is Dh_Getopt::getoptions: apply what is known, then each -O
// value if (and only if) it parses cleanly on its own. It reports the
// unknown options of args itself (not of -O values, which are ignored).
func (p *parser) getoptions(args []string) (unknown []string, err error) {
	items, tryO, rest, unknown := p.scan(args)
	for _, it := range items {
		if err := it.spec.apply(p, it.name, it.val); err != nil {
			return nil, err
		}
	}
	p.o.Units = append(p.o.Units, rest...)
	for _, o := range tryO {
		its, nested, r, unk := p.scan([]string{o})
		if len(unk) > 0 || len(r) > 0 || len(nested) > 0 {
			// Unknown to this command (e.g. -O--buildsystem=cmake):
			// dh forwards every user option to every command, so
			// silence is the contract.
			continue
		}
		for _, it := range its {
			if err := it.spec.apply(p, it.name, it.val); err != nil {
				return nil, err
			}
		}
	}
	return unknown, nil
}

// Parse parses argv (without the program name) with the environment
// (getenv) against debian/control, in Dh_Getopt's order: DH_INTERNAL_OPTIONS,
// DH_OPTIONS, argv. A nil Options with nil error never happens; when no
// package is left, Packages is empty and Warnings says why (debhelper warns
// and exits 0).
func Parse(argv []string, getenv func(string) string, ctl *Control, host *Host) (*Options, error) {
	p := newParser(ctl, host)
	if v, ok := lookup(getenv, "DH_INTERNAL_OPTIONS"); ok {
		unknown, err := p.getoptions(strings.Split(v, "\x1e"))
		if err != nil {
			return nil, err
		}
		_ = unknown // dh only puts options there that Dh_Getopt knows
		// Packages dh selected for this run become exclusions of all
		// others, so that an explicit -p in an override still works.
		if p.doPackagesSet {
			sel := map[string]bool{}
			for _, n := range p.doPackages {
				sel[n] = true
			}
			for _, n := range mustAll(ctl) {
				if !sel[n] {
					p.exclude[n] = true
					p.internalExcluded[n] = true
				}
			}
		}
		p.doPackages, p.doPackagesSet, p.doIndep, p.doArch = nil, false, false, false
	}
	if v, ok := lookup(getenv, "DH_OPTIONS"); ok {
		unknown, err := p.getoptions(strings.Fields(v))
		if err != nil {
			return nil, err
		}
		if len(unknown) > 0 {
			p.o.Warnings = append(p.o.Warnings, "ignored unknown options in DH_OPTIONS")
		}
	}
	unknown, err := p.getoptions(argv)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, usagef("unknown option or error during option parsing (%s); aborting", strings.Join(unknown, " "))
	}
	o := p.o
	if getenv("DH_VERBOSE") != "" {
		o.Verbose = true
	} else if getenv("DH_QUIET") != "" || hasBuildOption(getenv("DEB_BUILD_OPTIONS"), "terse") {
		o.Quiet = true
	}
	if getenv("DH_NO_ACT") != "" {
		o.NoAct = true
	}
	if v := getenv("DH_ALWAYS_EXCLUDE"); v != "" {
		o.Exclude = append(o.Exclude, strings.Split(v, ":")...)
	}
	o.Override = getenv("DH_INTERNAL_OVERRIDE") != ""

	if len(p.doPackages) == 0 {
		if p.profileExcluded {
			o.Warnings = append(o.Warnings, "All requested packages have been excluded (e.g. via a Build-Profile or due to architecture restrictions).")
			return o, nil
		}
		if p.doIndep || p.doArch {
			o.Warnings = append(o.Warnings, "You asked that all arch in(dep) packages be built, but there are none of that type.")
			return o, nil
		}
		if err := p.addPackages("both"); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{}
	for _, n := range p.doPackages {
		if p.excludeLogged && logged(n) {
			p.exclude[n] = true
		}
		if !p.exclude[n] && !seen[n] {
			seen[n] = true
			o.Packages = append(o.Packages, n)
		}
	}
	if len(o.Packages) == 0 {
		if len(p.explicit) > 0 {
			left := false
			for n := range p.explicit {
				if !p.internalExcluded[n] && p.profileEnabled[n] {
					left = true
				}
			}
			if !left {
				o.Warnings = append(o.Warnings, "All requested packages have been excluded (e.g. via a Build-Profile or due to architecture restrictions).")
				return o, nil
			}
		}
		var archs []string
		have := map[string]bool{}
		for _, pk := range ctl.Packages {
			if !have[pk.Arch] {
				have[pk.Arch] = true
				archs = append(archs, pk.Arch)
			}
		}
		o.Warnings = append(o.Warnings, fmt.Sprintf("No packages to build. Possible architecture mismatch: %s, want: %s", host.Arch, strings.Join(archs, " ")))
		return o, nil
	}
	if o.TmpDir != "" && len(o.Packages) > 1 {
		return nil, usagef("-P was specified, but it is used with more than one package (%s)", strings.Join(o.Packages, ", "))
	}
	o.MainPackage = p.mainPackage
	if o.MainPackage == "" && len(ctl.Packages) > 0 {
		o.MainPackage = ctl.Packages[0].Name
	}
	return o, nil
}

func mustAll(ctl *Control) []string {
	var out []string
	for _, p := range ctl.Packages {
		out = append(out, p.Name)
	}
	return out
}

// lookup distinguishes an unset variable from an empty one, as Perl's
// defined() does for DH_INTERNAL_OPTIONS and DH_OPTIONS.
func lookup(getenv func(string) string, k string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	v := getenv(k)
	if v != "" {
		return v, true
	}
	return "", false
}

func hasBuildOption(opts, name string) bool {
	for _, f := range strings.Fields(opts) {
		if f == name || strings.HasPrefix(f, name+"=") {
			return true
		}
	}
	return false
}

// LogFile is debian/<pkg>.debhelper.log.
func LogFile(pkg string) string { return filepath.Join("debian", pkg+".debhelper.log") }

// logged reports whether the package's log already names this command.
func logged(pkg string) bool {
	b, err := os.ReadFile(LogFile(pkg))
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l == ToolName {
			return true
		}
	}
	return false
}

// WriteLog appends the command's name to each package's debhelper log, as
// Dh_Lib does on success inside an override target so that a later
// --remaining-packages skips them. Nothing is written under --no-act.
func (o *Options) WriteLog() error {
	if o.NoAct || !o.Override {
		return nil
	}
	for _, pkg := range o.Packages {
		f, err := os.OpenFile(LogFile(pkg), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("failed to write to %s: %w", LogFile(pkg), err)
		}
		_, werr := fmt.Fprintln(f, ToolName)
		cerr := f.Close()
		if err := errors.Join(werr, cerr); err != nil {
			return fmt.Errorf("failed to write to %s: %w", LogFile(pkg), err)
		}
	}
	return nil
}

// PkgFile finds a package's configuration file like Dh_Lib's pkgfile():
// debian/<pkg>.<name>.<arch> and .<os> (only probed when some
// debian/*.<name>.* exists), debian/<pkg>.<name>, and debian/<name> for
// the main package. Files ending in .debhelper never count. "" when none.
func (o *Options) PkgFile(debianDir, pkg, name string, host *Host) string {
	var try []string
	// The glob runs before --name is applied, as in Dh_Lib (it covers
	// the named files too).
	matches, _ := filepath.Glob(filepath.Join(debianDir, "*."+name+".*"))
	expensive := false
	for _, m := range matches {
		if !strings.HasSuffix(m, ".debhelper") {
			expensive = true
		}
	}
	if o.Name != "" {
		name = o.Name + "." + name
	}
	if expensive {
		try = append(try, filepath.Join(debianDir, pkg+"."+name+"."+host.Arch),
			filepath.Join(debianDir, pkg+"."+name+"."+host.OS))
	}
	try = append(try, filepath.Join(debianDir, pkg+"."+name))
	if pkg == o.MainPackage {
		try = append(try, filepath.Join(debianDir, name))
	}
	for _, f := range try {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			return f
		}
	}
	return ""
}

// Option describes one entry of the option table Parse uses, for
// documentation (the dh_systemd_harden man page is generated from it).
type Option struct {
	// Names, the long or single-letter spellings, first the primary one.
	Names []string
	// TakesValue is true for options that need a value (=s in Getopt::Long).
	TakesValue bool
	// ToolOnly marks the command's own options, as opposed to debhelper's
	// common ones.
	ToolOnly bool
}

// OptionTable returns the option table Parse uses, in its order.
func OptionTable() []Option {
	p := newParser(nil, nil)
	out := make([]Option, 0, len(p.specs))
	for _, s := range p.specs {
		out = append(out, Option{Names: append([]string(nil), s.names...), TakesValue: s.value == needValue, ToolOnly: s.toolOnly})
	}
	return out
}
