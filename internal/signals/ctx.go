package signals

import (
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/secinfo"
	"github.com/systemd-harden/systemd-harden/internal/sysnames"
	"github.com/systemd-harden/systemd-harden/internal/unitfile"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// ctx is one evaluation: the input plus what several rules share, parsed
// once.
type ctx struct {
	in    Input
	pkg   *pkgmodel.Package
	unit  *unitload.Unit
	info  *secinfo.Info
	fired map[string]*Signal

	execs    []execLine
	envFiles []envFile
	tmpfiles []tmpfilesLine
}

// assign is one assignment with the file it is in.
type assign struct {
	file string
	a    unitfile.Assignment
}

func (a assign) evidence() finding.Evidence {
	return finding.Evidence{Path: a.file, Line: a.a.Line, Text: a.a.Key + "=" + a.a.Value}
}

// execKeys are the service's command lines. ExecCondition= runs in the
// same sandbox as the others, so it counts too.
var execKeys = []string{"ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"}

func newCtx(in Input) *ctx {
	c := &ctx{in: in, pkg: in.Pkg, unit: in.Unit, info: in.Info, fired: map[string]*Signal{}}
	if c.pkg == nil {
		c.pkg = &pkgmodel.Package{Control: map[string]string{}}
	}
	if c.info == nil {
		// What secinfo.Compute returns for a unit that sets nothing.
		c.info = &secinfo.Info{DefaultDependencies: true, CapabilityBoundingSet: ^uint64(0), DevicePolicy: "auto"}
	}
	if c.unit == nil {
		c.unit = &unitload.Unit{}
	}
	for _, k := range execKeys {
		for _, a := range c.list(c.unit, "Service", k) {
			cmds, unsandboxed := parseExec(c.expand(a.a.Value))
			c.execs = append(c.execs, execLine{assign: a, cmds: cmds, unsandboxed: unsandboxed})
		}
	}
	c.envFiles = c.readEnvFiles()
	c.tmpfiles = c.readTmpfiles()
	return c
}

// list returns the effective assignments of a list-valued key in the
// unit's files, in order: an empty assignment resets what came before, as
// systemd does for every list setting the rules read.
func (c *ctx) list(u *unitload.Unit, section, key string) []assign {
	var out []assign
	if u == nil {
		return nil
	}
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section != section || a.Key != key {
				continue
			}
			if strings.TrimSpace(a.Value) == "" {
				out = out[:0]
				continue
			}
			out = append(out, assign{file: f.Path, a: a})
		}
	}
	return out
}

// last returns the assignment in effect for a scalar key (the last one);
// false when unset or reset by an empty assignment.
func (c *ctx) last(u *unitload.Unit, section, key string) (assign, bool) {
	var out assign
	ok := false
	if u == nil {
		return out, false
	}
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section == section && a.Key == key {
				out, ok = assign{file: f.Path, a: a}, strings.TrimSpace(a.Value) != ""
			}
		}
	}
	return out, ok
}

// expand replaces the specifiers that name paths or the unit, as systemd
// expands them for a system service; the others stay verbatim (paths
// still holding a "%" are then not used).
func (c *ctx) expand(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	p, _ := unitname.Parse(c.unit.ID)
	// A template is loaded under a made-up instance ("foo@i.service");
	// only a requested instance gives %i and %n a real value.
	rp, _ := unitname.Parse(c.unit.Requested)
	instance := rp.Instance != "" || !p.At
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '%':
			b.WriteByte('%')
		case 't':
			b.WriteString("/run")
		case 'S':
			b.WriteString("/var/lib")
		case 'C':
			b.WriteString("/var/cache")
		case 'L':
			b.WriteString("/var/log")
		case 'T':
			b.WriteString("/tmp")
		case 'V':
			b.WriteString("/var/tmp")
		case 'E':
			b.WriteString("/etc")
		case 'n', 'N', 'i':
			if !instance {
				b.WriteByte('%')
				b.WriteByte(s[i])
				continue
			}
			switch s[i] {
			case 'n':
				b.WriteString(c.unit.ID)
			case 'N':
				b.WriteString(strings.TrimSuffix(c.unit.ID, "."+p.Type))
			default:
				b.WriteString(p.Instance)
			}
		case 'p':
			b.WriteString(p.Prefix)
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// capEvidence returns the unit's AmbientCapabilities= and
// CapabilityBoundingSet= assignments that grant the capability by name,
// when the effective set still holds it. An inverted assignment
// ("~CAP_X") names what is dropped, not what is needed, and systemd's
// default full bounding set is no evidence either.
func (c *ctx) capEvidence(name string) []finding.Evidence {
	bit, ok := sysnames.Capabilities().Lookup(name)
	if !ok {
		return nil
	}
	var out []finding.Evidence
	for _, k := range []struct {
		key string
		set uint64
	}{{"AmbientCapabilities", c.info.AmbientCapabilities}, {"CapabilityBoundingSet", c.info.CapabilityBoundingSet}} {
		if k.set&(1<<uint(bit)) == 0 {
			continue
		}
		for _, a := range c.list(c.unit, "Service", k.key) {
			v := strings.TrimSpace(a.a.Value)
			if strings.HasPrefix(v, "~") {
				continue
			}
			for _, w := range strings.Fields(v) {
				if strings.EqualFold(w, name) {
					out = append(out, a.evidence())
					break
				}
			}
		}
	}
	return out
}

// hasCap reports whether the service's processes hold the capability
// after systemd drops privileges: root keeps its bounding set, another
// user only its ambient capabilities (which the bounding set caps).
func (c *ctx) hasCap(name string) bool {
	bit, ok := sysnames.Capabilities().Lookup(name)
	if !ok {
		return false
	}
	m := uint64(1) << uint(bit)
	if RunsAsRoot(c.info) {
		return c.info.CapabilityBoundingSet&m != 0
	}
	if c.info.DynamicUser {
		return false // DynamicUser= forces NoNewPrivileges= whatever it holds
	}
	return c.info.AmbientCapabilities&c.info.CapabilityBoundingSet&m != 0
}

// relatedSockets returns the package's socket units that activate the
// service: those naming it in Service=, or sharing its name (foo.socket
// for foo.service, foo@.socket for the foo@.service instances).
func (c *ctx) relatedSockets() []*unitload.Unit {
	sp, _ := unitname.Parse(c.unit.ID)
	var out []*unitload.Unit
	for _, u := range c.in.Units {
		if u == nil || u == c.unit {
			continue
		}
		name := u.ID
		if name == "" {
			name = path.Base(u.Path)
		}
		p, ok := unitname.Parse(name)
		if !ok || p.Type != "socket" {
			continue
		}
		if a, ok := c.last(u, "Socket", "Service"); ok {
			v := strings.TrimSpace(a.a.Value)
			if v == c.unit.ID || v == c.unit.Requested {
				out = append(out, u)
			}
			continue
		}
		if p.Prefix == sp.Prefix && p.At == sp.At {
			out = append(out, u)
		}
	}
	return out
}
