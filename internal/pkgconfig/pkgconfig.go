// Package pkgconfig reads the per-package configuration, the same file for
// Debian (debian/<pkg>.systemd-harden) and RPM (%systemd_harden -c FILE):
//
//	# comments and blank lines are ignored
//	tier strict
//	systemd-version 257
//	unit foo.service add ReadWritePaths=-/var/spool/foo
//	unit *.service drop ProtectHome because users' ~/.forward files are read
//	override tier-directive-missing foo.service PrivateNetwork because it serves the LAN
//
// Every drop and override needs "because" and a reason. Unknown statements
// and malformed lines are errors with file:line.
package pkgconfig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/plan"
)

// Override silences matching findings, with a reason.
type Override struct {
	Tag     string
	Unit    string // glob; "" matches any unit
	Detail  string // the finding's detail must start with it (or with it followed by '='); "" matches any
	Reason  string
	File    string
	Line    int
	Matched bool
}

// Config is a parsed file.
type Config struct {
	File           string
	Tier           string // "" when not set
	TierLine       int
	SystemdVersion int // 0 when not set
	Add            []plan.UnitDirective
	Drop           []plan.UnitDirective
	Overrides      []*Override
}

// Error is a problem in the file, with its line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Load reads a configuration file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return Parse(file, data)
}

// splitReason cuts "… because reason" into the part before and the reason.
func splitReason(fields []string) ([]string, string, bool) {
	for i, f := range fields {
		if f == "because" {
			reason := strings.Join(fields[i+1:], " ")
			return fields[:i], reason, reason != ""
		}
	}
	return fields, "", false
}

// Parse reads a configuration from memory.
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) error {
			return &Error{File: file, Line: n, Msg: fmt.Sprintf(format, args...)}
		}
		f := strings.Fields(line)
		switch f[0] {
		case "tier":
			if len(f) != 2 {
				return nil, fail("usage: tier NAME")
			}
			c.Tier, c.TierLine = f[1], n
		case "systemd-version":
			if len(f) != 2 {
				return nil, fail("usage: systemd-version N")
			}
			v, err := strconv.Atoi(f[1])
			if err != nil || v <= 0 {
				return nil, fail("systemd-version: %q is not a version number", f[1])
			}
			c.SystemdVersion = v
		case "unit":
			if len(f) < 4 {
				return nil, fail("usage: unit PATTERN add KEY=VALUE | unit PATTERN drop KEY because REASON")
			}
			if _, err := path.Match(f[1], ""); err != nil {
				return nil, fail("bad unit pattern %q", f[1])
			}
			switch f[2] {
			case "add":
				kv := strings.Join(f[3:], " ")
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" || strings.ContainsAny(k, " \t") {
					return nil, fail("add: %q is not KEY=VALUE", kv)
				}
				c.Add = append(c.Add, plan.UnitDirective{Pattern: f[1], Key: k, Value: v, File: file, Line: n})
			case "drop":
				rest, reason, ok := splitReason(f[3:])
				if !ok {
					return nil, fail("drop needs a reason: unit %s drop %s because …", f[1], strings.Join(rest, " "))
				}
				if len(rest) != 1 {
					return nil, fail("usage: unit PATTERN drop KEY because REASON")
				}
				c.Drop = append(c.Drop, plan.UnitDirective{Pattern: f[1], Key: rest[0], Reason: reason, File: file, Line: n})
			default:
				return nil, fail("unknown unit action %q (add or drop)", f[2])
			}
		case "override":
			rest, reason, ok := splitReason(f[1:])
			if !ok {
				return nil, fail("an override needs a reason: override … because …")
			}
			if len(rest) == 0 {
				return nil, fail("usage: override TAG [UNIT [DETAIL]] because REASON")
			}
			o := &Override{Tag: rest[0], Reason: reason, File: file, Line: n}
			if len(rest) > 1 {
				o.Unit = rest[1]
				if _, err := path.Match(o.Unit, ""); err != nil {
					return nil, fail("bad unit pattern %q", o.Unit)
				}
			}
			if len(rest) > 2 {
				o.Detail = strings.Join(rest[2:], " ")
			}
			c.Overrides = append(c.Overrides, o)
		default:
			return nil, fail("unknown statement %q (tier, systemd-version, unit, override)", f[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: file, Line: n + 1, Msg: err.Error()}
	}
	return c, nil
}

// PlanConfig is the part the planner applies.
func (c *Config) PlanConfig() *plan.Config {
	if c == nil {
		return nil
	}
	return &plan.Config{Add: c.Add, Drop: c.Drop}
}

func (o *Override) matches(f finding.Finding) bool {
	if o.Tag != f.Tag {
		return false
	}
	if o.Unit != "" {
		if ok, _ := path.Match(o.Unit, f.Unit); !ok {
			return false
		}
	}
	if o.Detail != "" && !strings.HasPrefix(f.Detail, o.Detail) {
		return false
	}
	return true
}

// Apply marks findings matched by an override and returns them plus an
// info finding for each override that matched nothing.
func (c *Config) Apply(fs []finding.Finding, pkg, version, tier string) []finding.Finding {
	if c == nil {
		return fs
	}
	for i := range fs {
		for _, o := range c.Overrides {
			if o.matches(fs[i]) {
				fs[i].Overridden = o.Reason
				o.Matched = true
				break
			}
		}
	}
	for _, o := range c.Overrides {
		if !o.Matched {
			fs = append(fs, finding.Finding{Package: pkg, Version: version, Tag: "config-override-unused",
				Severity: finding.Info, Detail: fmt.Sprintf("override %s %s %s matches nothing", o.Tag, o.Unit, o.Detail),
				Path: o.File, Line: o.Line, Tier: tier})
		}
	}
	return fs
}

// Unused reports unit add/drop statements that matched no unit.
func Unused(cfg *plan.Config, pkg, version, tier string) []finding.Finding {
	if cfg == nil {
		return nil
	}
	var out []finding.Finding
	for _, d := range append(append([]plan.UnitDirective(nil), cfg.Add...), cfg.Drop...) {
		if !d.Used {
			out = append(out, finding.Finding{Package: pkg, Version: version, Tag: "config-override-unused",
				Severity: finding.Info, Detail: fmt.Sprintf("unit %s %s matches nothing", d.Pattern, d.Key),
				Path: d.File, Line: d.Line, Tier: tier})
		}
	}
	return out
}
