package signals

import (
	"os"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
)

// Writable path inference (DESIGN.md, Contracts: Writable paths).
//
// ProtectSystem=strict makes everything read-only but /dev, /proc and
// /sys, so every place the daemon writes must be named. The sources, each
// with its evidence: the unit's own ReadWritePaths=/StateDirectory=/
// CacheDirectory=/LogsDirectory=/RuntimeDirectory= (already writable;
// listed so the caller does not add them twice), the top-level
// directories the package ships under the state, cache, log, spool and
// runtime hierarchies, the directory of PIDFile=, the package's tmpfiles.d
// entries, the log directories of its logrotate files, and paths under
// those hierarchies named on the unit's command lines or in the
// EnvironmentFile= files it ships.

// writableBases are the hierarchies whose paths a daemon owns; a path
// there is made writable at its top-level directory (/var/lib/foo).
var writableBases = []string{"/var/lib", "/var/cache", "/var/log", "/var/spool", "/run", "/srv"}

// shippedBases are those under which shipped directories count.
var shippedBases = []string{"/var/lib", "/var/cache", "/var/log", "/var/spool", "/run"}

// directoryFor maps a base to the *Directory= setting that manages it.
var directoryFor = map[string]string{"/var/lib": "StateDirectory", "/var/cache": "CacheDirectory", "/var/log": "LogsDirectory"}

// unitDirectories are the unit's own directory settings and their roots.
var unitDirectories = []struct{ key, base string }{
	{"StateDirectory", "/var/lib"}, {"CacheDirectory", "/var/cache"}, {"LogsDirectory", "/var/log"}, {"RuntimeDirectory", "/run"},
}

// Candidate priorities: a path found several ways keeps the first kind.
const (
	prioExisting = iota // already in the unit
	prioShipped         // a shipped directory (may become StateDirectory=)
	prioInferred        // everything else
)

type candidate struct {
	Writable
	prio int
}

// normRun maps the legacy /var/run (a symlink to /run) to /run.
func normRun(p string) string {
	if under(p, "/var/run") {
		return "/run" + strings.TrimPrefix(p, "/var/run")
	}
	return p
}

// baseOf returns the writable base p is strictly inside, and the first
// component below it.
func baseOf(p string, bases []string) (base, top string, ok bool) {
	for _, b := range bases {
		if strings.HasPrefix(p, b+"/") {
			rest := strings.TrimPrefix(p, b+"/")
			first, _, _ := strings.Cut(rest, "/")
			if first == "" {
				return "", "", false
			}
			return b, b + "/" + first, true
		}
	}
	return "", "", false
}

// isBase reports whether p is a whole hierarchy (or above one), which is
// never made writable as a whole: only /run, for a file the daemon creates
// directly in it (a PID file), and /var/log, for a log directly in it, are
// granted, by existingParent.
func isBase(p string) bool {
	switch p {
	case "/", "/var", "/usr", "/etc", "/var/run":
		return true
	}
	for _, b := range writableBases {
		if p == b {
			return true
		}
	}
	return false
}

func rwp(p string, ev finding.Evidence, prio int) candidate {
	return candidate{Writable{Path: p, Directive: "ReadWritePaths", Value: "-" + p, Evidence: ev}, prio}
}

func (c *ctx) writable() []Writable {
	var cands []candidate
	cands = append(cands, c.existingWritable()...)
	cands = append(cands, c.shippedWritable()...)
	known := c.knownDirs(cands)
	cands = append(cands, c.pidfileWritable(known)...)
	cands = append(cands, c.tmpfilesWritable()...)
	cands = append(cands, c.logrotateWritable()...)
	cands = append(cands, c.mailWritable()...)
	cands = append(cands, c.mentionedWritable(known, cands)...)
	return collapse(cands)
}

// existingWritable lists what the unit already makes writable.
func (c *ctx) existingWritable() []candidate {
	var out []candidate
	// Value is the word as written; Path has the specifiers expanded.
	for _, a := range c.list(c.unit, "Service", "ReadWritePaths") {
		for _, w := range words(a.a.Value, false) {
			p := strings.TrimLeft(c.expand(w), "-+")
			if !strings.HasPrefix(p, "/") {
				continue
			}
			out = append(out, candidate{Writable{Path: normRun(path.Clean(p)), Directive: "ReadWritePaths", Value: w, Evidence: a.evidence()}, prioExisting})
		}
	}
	for _, d := range unitDirectories {
		for _, a := range c.list(c.unit, "Service", d.key) {
			for _, w := range words(a.a.Value, false) {
				name, _, _ := strings.Cut(w, ":") // "foo:bar" also links bar to foo
				if name == "" || strings.HasPrefix(name, "/") {
					continue
				}
				out = append(out, candidate{Writable{Path: path.Join(d.base, c.expand(name)), Directive: d.key, Value: name, Evidence: a.evidence()}, prioExisting})
			}
		}
	}
	return out
}

// shippedWritable lists the top-level directories the package ships under
// the state, cache, log, spool and runtime hierarchies. A directory the
// package metadata gives to the service's user becomes StateDirectory=,
// CacheDirectory= or LogsDirectory= (systemd chowns those to the user at
// start, which then changes nothing), provided nothing shipped below it
// belongs to someone else; every other one ReadWritePaths=-.
func (c *ctx) shippedWritable() []candidate {
	type top struct {
		base  string
		entry *pkgmodel.Entry // the top-level entry itself, when shipped
		first *pkgmodel.Entry // the first entry below or at it
		mixed bool            // something at or below it is not owned by the user
	}
	user := strings.TrimSpace(c.info.User)
	byUser := user != "" && !RunsAsRoot(c.info) && !strings.Contains(user, "%")
	tops := map[string]*top{}
	var order []string
	for i := range c.pkg.Entries {
		e := &c.pkg.Entries[i]
		p := normRun(e.Path)
		base, t, ok := baseOf(p, shippedBases)
		if !ok {
			continue
		}
		x := tops[t]
		if x == nil {
			x = &top{base: base, first: e}
			tops[t] = x
			order = append(order, t)
		}
		if p == t {
			x.entry = e
		}
		if !byUser || e.Owner != user {
			x.mixed = true
		}
	}
	var out []candidate
	for _, t := range order {
		x := tops[t]
		// When only something deeper was shipped, that entry is the
		// evidence: the top-level directory exists because of it.
		e := x.first
		if x.entry != nil {
			e = x.entry
		}
		ev := finding.Evidence{Path: e.Path, Text: lsMode(entryMode(*e)) + " " + ownerOf(e.Owner, e.UID) + "/" + ownerOf(e.Group, e.GID) + " " + e.Path}
		if d, ok := directoryFor[x.base]; ok && !x.mixed && x.entry != nil && x.entry.Type == tree.Dir {
			out = append(out, candidate{Writable{Path: t, Directive: d, Value: strings.TrimPrefix(t, x.base+"/"), Evidence: ev}, prioShipped})
			continue
		}
		out = append(out, rwp(t, ev, prioShipped))
	}
	return out
}

func entryMode(e pkgmodel.Entry) os.FileMode {
	if e.Type == tree.Dir {
		return e.Mode | os.ModeDir
	}
	return e.Mode
}

// knownDirs are the runtime directories known to exist when the service
// starts: shipped, created by tmpfiles.d, or by the unit's own
// RuntimeDirectory= (and the other *Directory= settings).
func (c *ctx) knownDirs(cands []candidate) map[string]bool {
	known := map[string]bool{}
	for _, cd := range cands {
		known[cd.Path] = true
	}
	for _, e := range c.pkg.Entries {
		if e.Type == tree.Dir {
			known[normRun(e.Path)] = true
		}
	}
	for _, t := range c.tmpfiles {
		switch t.typ {
		case 'd', 'D', 'v', 'q', 'Q':
			known[normRun(t.path)] = true
		}
	}
	return known
}

// existingParent returns the directory to make writable for a file the
// daemon creates at p: under /run (emptied at boot) the nearest parent
// known to exist at start, since ReadWritePaths= on a missing directory
// does nothing and the daemon could not create it; elsewhere the
// top-level package directory, which the package or its maintainer
// scripts create. ok is false when that would be a whole hierarchy other
// than /run and /var/log, which only a file directly inside them
// justifies.
func existingParent(p string, known map[string]bool) (string, bool) {
	d := path.Dir(p)
	if under(d, "/run") {
		for d != "/run" && !known[d] {
			d = path.Dir(d)
		}
		return d, true
	}
	if d == "/var/log" {
		return d, true
	}
	if _, top, ok := baseOf(d, writableBases); ok {
		return top, true
	}
	return "", false
}

// pidfileWritable makes the directory of PIDFile= writable: the daemon
// (re)creates the file there.
func (c *ctx) pidfileWritable(known map[string]bool) []candidate {
	a, ok := c.last(c.unit, "Service", "PIDFile")
	if !ok {
		return nil
	}
	p := normRun(path.Clean(c.expand(strings.TrimSpace(a.a.Value))))
	if !strings.HasPrefix(p, "/") {
		return nil
	}
	d, ok := existingParent(p, known)
	if !ok || strings.Contains(d, "%") {
		return nil
	}
	return []candidate{rwp(d, a.evidence(), prioInferred)}
}

// tmpfilesWritable makes the package's tmpfiles.d entries writable: the
// directories it creates or adjusts, and the parent directories of the
// files and links it creates, inside the writable hierarchies.
func (c *ctx) tmpfilesWritable() []candidate {
	var out []candidate
	for _, t := range c.tmpfiles {
		p := normRun(t.path)
		switch t.typ {
		case 'd', 'D', 'e', 'v', 'q', 'Q', 'z', 'Z':
		case 'f', 'F':
			// A file directly in a hierarchy exists at start (tmpfiles
			// made it): the file itself, not the whole hierarchy.
			if !isBase(path.Dir(p)) {
				p = path.Dir(p)
			}
		case 'L':
			// A link is tmpfiles' doing; its directory only matters
			// when it is the package's own.
			p = path.Dir(p)
		default:
			continue
		}
		if isBase(p) {
			continue
		}
		if _, _, ok := baseOf(p+"/x", writableBases); !ok {
			continue
		}
		out = append(out, rwp(p, t.evidence(), prioInferred))
	}
	return out
}

// logrotateWritable makes the directories of the package's rotated logs
// writable: the daemon reopens (creates) them after rotation.
func (c *ctx) logrotateWritable() []candidate {
	var out []candidate
	for _, l := range c.readLogrotate() {
		d := path.Dir(path.Clean(l.path))
		for strings.ContainsAny(d, "*?[") {
			d = path.Dir(d)
		}
		d = normRun(d)
		if isBase(d) && d != "/var/log" {
			continue
		}
		if _, _, ok := baseOf(d+"/x", writableBases); !ok {
			continue
		}
		out = append(out, rwp(d, finding.Evidence{Path: l.file, Line: l.line, Text: l.text}, prioInferred))
	}
	return out
}

// mailProvides are the virtual packages a mail transport or delivery agent
// provides (Debian; RPM's MTA and smtpdaemon).
var mailProvides = map[string]bool{"mail-transport-agent": true, "mail-delivery-agent": true, "MTA": true, "smtpdaemon": true}

// mailWritable makes the mail spool writable for a mail transport agent:
// local delivery writes /var/mail/<user> (and its lock files), a directory
// the MTA never ships (base-files does). The boot harness found postfix
// bouncing local mail under ProtectSystem=strict without it.
func (c *ctx) mailWritable() []candidate {
	for _, r := range relations(c.pkg, "Provides") {
		for _, n := range r.names {
			if mailProvides[n] {
				return []candidate{rwp("/var/mail", r.evidence(c.pkg.Format), prioInferred)}
			}
		}
	}
	return nil
}

// absPath finds absolute paths in command lines and settings; "$" and
// globs end a path, so "/var/lib/$NAME" yields only its base (unused).
var absPath = regexp.MustCompile(`(?:^|[\s='"(,;:])(/[^\s'"` + "`" + `;:,()<>|&$*?\[\]{}]*)`)

// mentionedWritable makes writable the paths under the writable
// hierarchies named on the unit's command lines and in its shipped
// EnvironmentFile= files: a name with an extension directly under a
// hierarchy is a file (its directory: /run and /var/log only), anything
// else is taken at its top-level directory.
func (c *ctx) mentionedWritable(known map[string]bool, have []candidate) []candidate {
	var out []candidate
	covered := func(p string) bool {
		for _, h := range have {
			if under(p, h.Path) {
				return true
			}
		}
		return false
	}
	add := func(text string, ev finding.Evidence) {
		for _, m := range absPath.FindAllStringSubmatch(text, -1) {
			p := normRun(path.Clean(m[1]))
			base, top, ok := baseOf(p, writableBases)
			if !ok || covered(p) || strings.Contains(top, "%") {
				continue
			}
			if p == top && strings.Contains(path.Base(p), ".") && !strings.HasPrefix(path.Base(p), ".") {
				if d, ok := existingParent(p, known); ok && (base == "/run" || base == "/var/log") {
					out = append(out, rwp(d, ev, prioInferred))
				}
				continue
			}
			if base == "/run" {
				d := p
				if p != top {
					d, _ = existingParent(p, known)
				} else if !known[p] {
					d = "/run"
				}
				out = append(out, rwp(d, ev, prioInferred))
				continue
			}
			out = append(out, rwp(top, ev, prioInferred))
		}
	}
	for _, e := range c.execs {
		if !e.unsandboxed {
			add(c.expand(e.a.Value), e.evidence())
		}
	}
	for _, ef := range c.envFiles {
		for _, l := range ef.lines {
			add(l.value, finding.Evidence{Path: ef.path, Line: l.line, Text: l.text})
		}
	}
	return out
}

// collapse keeps one candidate per path (the highest priority, then the
// first found), drops inferred paths inside another writable path, and
// sorts by Value then Directive.
func collapse(cands []candidate) []Writable {
	best := map[string]candidate{}
	var paths []string
	for _, cd := range cands {
		old, ok := best[cd.Path]
		if !ok {
			paths = append(paths, cd.Path)
		}
		if !ok || cd.prio < old.prio {
			best[cd.Path] = cd
		}
	}
	var out []Writable
	for _, p := range paths {
		cd := best[p]
		cd.Existing = cd.prio == prioExisting
		covered := false
		if cd.prio != prioExisting {
			for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
				if _, ok := best[d]; ok {
					covered = true
					break
				}
			}
		}
		if !covered {
			out = append(out, cd.Writable)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Value != out[j].Value {
			return out[i].Value < out[j].Value
		}
		return out[i].Directive < out[j].Directive
	})
	return out
}
