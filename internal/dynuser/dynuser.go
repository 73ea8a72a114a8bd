// Package dynuser decides whether a service can run with DynamicUser=yes
// and how to convert it: the readiness analysis of the dynamic-user tier.
//
// DynamicUser= is the strongest ordinary protection and the one that
// breaks most quietly (../shared/notes/systemd-analyze.md §10): a static
// user of the same name is silently reused, D-Bus name ownership fails,
// group-readable configuration becomes unreadable, and files the package
// ships owned by the service user have no owner. Each condition found is a
// fix-up (the unit is converted, with migration notes) or a blocker (the
// unit is refused, with the list), always with its evidence.
package dynuser

import (
	"bufio"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/signals"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
	"github.com/systemd-harden/systemd-harden/internal/unitname"
)

// Item is one fix-up or blocker.
type Item struct {
	Tag      string           `json:"tag"`
	Detail   string           `json:"detail"`
	Evidence finding.Evidence `json:"evidence"`
}

// Analysis is the readiness of one unit.
type Analysis struct {
	Unit     string   `json:"unit"`
	User     string   `json:"static_user"`  // the static user the unit runs as, "" for a root daemon
	Dynamic  string   `json:"dynamic_user"` // the name systemd will give the dynamic user
	Blockers []Item   `json:"blockers"`
	FixUps   []Item   `json:"fixups"`
	Lines    []string `json:"lines"` // assignments that convert the unit (after the strict tier's)
	// Created lists the users and groups the package creates, with where.
	Created []Item `json:"created"`
}

// Ready reports whether the unit can be converted.
func (a *Analysis) Ready() bool { return len(a.Blockers) == 0 }

// userCreation matches the commands maintainer scripts use to create
// system users and groups; the last word that is not an option is the name.
var userCreation = regexp.MustCompile(`(?:^|[\s;&|(])(adduser|useradd|addgroup|groupadd)\s+([^;&|#\n]*)`)

// ownership matches chown/chgrp and dpkg-statoverride calls.
var (
	chownRE        = regexp.MustCompile(`(?:^|[\s;&|(])chown\s+((?:-\S+\s+)*)([A-Za-z_][\w.-]*)(?::([A-Za-z_][\w.-]*))?\s+([^;&|#\n]+)`)
	statoverrideRE = regexp.MustCompile(`dpkg-statoverride\s+(?:--\S+\s+)*--add\s+(?:--\S+\s+)*([\w.-]+)\s+([\w.-]+)\s+([0-7]{3,4})\s+(\S+)`)
)

var shellAssign = regexp.MustCompile(`^\s*(?:export\s+|readonly\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=("[^"$]*"|'[^']*'|[^\s;"'$]*|"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")\s*(?:#.*)?$`)
var shellVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expandVars substitutes the simple variable assignments of a maintainer
// script (USER="redis"; GROUP="$USER") into its lines, so commands written
// with variables are understood. Anything else is left as it is.
func expandVars(text string) []string {
	vars := map[string]string{}
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if m := shellAssign.FindStringSubmatch(line); m != nil {
			v := strings.Trim(m[2], `"'`)
			if m[3] != "" {
				v = vars[m[3]]
			}
			vars[m[1]] = v
		}
		out = append(out, shellVar.ReplaceAllStringFunc(line, func(ref string) string {
			name := strings.Trim(ref, "${}")
			if v, ok := vars[name]; ok {
				return v
			}
			return ref
		}))
	}
	return out
}

// created finds users and groups the package creates: maintainer scripts
// (adduser, useradd, addgroup, groupadd) and sysusers.d files.
func created(pkg *pkgmodel.Package) (users map[string]finding.Evidence, groups map[string]finding.Evidence) {
	users, groups = map[string]finding.Evidence{}, map[string]finding.Evidence{}
	for _, s := range pkg.Scripts {
		lines := expandVars(s.Text)
		for i, line := range lines {
			// A call continued with "\" is read whole (evidence: its first line).
			full := line
			for j := i; strings.HasSuffix(strings.TrimSpace(lines[j]), "\\") && j+1 < len(lines); j++ {
				full = strings.TrimSuffix(strings.TrimSpace(full), "\\") + " " + lines[j+1]
			}
			for _, m := range userCreation.FindAllStringSubmatch(full, -1) {
				name := lastName(m[2])
				if name == "" {
					continue
				}
				// "adduser USER GROUP" adds an existing user to a group.
				if m[1] == "adduser" && len(names(m[2])) == 2 {
					continue
				}
				ev := finding.Evidence{Path: scriptPath(pkg, s.Name), Line: i + 1, Text: strings.TrimSpace(line)}
				switch {
				case m[1] == "addgroup" || m[1] == "groupadd" || strings.Contains(m[2], "--group") && m[1] == "adduser" && !strings.Contains(m[2], "--system"):
					groups[name] = ev
				default:
					users[name] = ev
					if strings.Contains(m[2], "--group") || strings.Contains(m[2], "-U") || m[1] == "useradd" && !strings.Contains(m[2], "-N") {
						groups[name] = ev
					}
				}
			}
		}
	}
	for _, e := range pkg.Entries {
		if !e.Kept || !strings.Contains(e.Path, "/sysusers.d/") {
			continue
		}
		data, err := pkg.Tree.ReadFile(e.Path, pkgmodel.MaxKept)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		n := 0
		for sc.Scan() {
			n++
			f := strings.Fields(sc.Text())
			if len(f) < 2 || strings.HasPrefix(f[0], "#") {
				continue
			}
			ev := finding.Evidence{Path: e.Path, Line: n, Text: sc.Text()}
			switch f[0] {
			case "u", "u!":
				users[f[1]], groups[f[1]] = ev, ev
			case "g":
				groups[f[1]] = ev
			}
		}
	}
	return users, groups
}

func scriptPath(pkg *pkgmodel.Package, name string) string {
	if pkg.Format == pkgmodel.RPM {
		return name
	}
	return "DEBIAN/" + name
}

// lastName returns the last word of a command's arguments that is not an
// option or an option's value (good enough for adduser/useradd lines).
func lastName(args string) string {
	n := names(args)
	if len(n) == 0 {
		return ""
	}
	return n[len(n)-1]
}

// shellWords splits like the shell for what maintainer scripts write:
// quoted words ("PostgreSQL administrator") stay one word, quotes kept.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	var quote rune
	in := false
	for _, r := range s {
		switch {
		case quote != 0:
			cur.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote, in = r, true
			cur.WriteRune(r)
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// names returns the positional words of an adduser/useradd call: options,
// their values, variables, paths and redirections left out; "\" (a line
// continuation) and "||"/"&&" end the command.
func names(args string) []string {
	f := shellWords(args)
	valued := map[string]bool{"--home": true, "--shell": true, "--gecos": true, "--ingroup": true, "--uid": true, "--gid": true,
		"--comment": true, "-d": true, "-s": true, "-c": true, "-g": true, "-G": true, "-u": true, "-K": true, "--firstuid": true, "--lastuid": true, "--conf": true}
	var out []string
	for i := 0; i < len(f); i++ {
		w := strings.Trim(f[i], `"'`)
		switch {
		case valued[w]:
			i++
		case w == "\\", w == "||", w == "&&":
			return out
		case strings.HasPrefix(w, "-"), strings.Contains(w, "$"), strings.Contains(w, "/"), strings.ContainsAny(w, "<>"):
		default:
			out = append(out, w)
		}
	}
	return out
}

type owned struct {
	path, user, group, mode string
	ev                      finding.Evidence
}

// ownership lists what the package owns as some user: entries whose
// metadata names a non-root owner or group, and chown/statoverride calls
// in the maintainer scripts.
func ownership(pkg *pkgmodel.Package) []owned {
	var out []owned
	for _, e := range pkg.Entries {
		if (e.Owner != "" && e.Owner != "root") || (e.Group != "" && e.Group != "root") {
			out = append(out, owned{path: e.Path, user: e.Owner, group: e.Group, mode: fmt.Sprintf("%04o", e.Mode.Perm()),
				ev: finding.Evidence{Path: e.Path, Text: fmt.Sprintf("%s %s:%s", e.Mode, e.Owner, e.Group)}})
		}
	}
	for _, s := range pkg.Scripts {
		for i, line := range expandVars(s.Text) {
			ev := finding.Evidence{Path: scriptPath(pkg, s.Name), Line: i + 1, Text: strings.TrimSpace(line)}
			if m := statoverrideRE.FindStringSubmatch(line); m != nil {
				out = append(out, owned{path: m[4], user: m[1], group: m[2], mode: m[3], ev: ev})
				continue
			}
			if m := chownRE.FindStringSubmatch(line); m != nil {
				for _, p := range strings.Fields(m[4]) {
					if strings.HasPrefix(p, "/") {
						out = append(out, owned{path: path.Clean(p), user: m[2], group: m[3], ev: ev})
					}
				}
			}
		}
	}
	return out
}

// directoryHierarchies are where StateDirectory= and friends live; files
// below them are chowned by systemd at start.
var directoryHierarchies = map[string]string{
	"/var/lib": "StateDirectory", "/var/cache": "CacheDirectory", "/var/log": "LogsDirectory", "/run": "RuntimeDirectory",
}

// hierarchyOf returns the *Directory= key and the relative name for a
// path inside one of the hierarchies ("/var/lib/redis/x" → StateDirectory, "redis").
func hierarchyOf(p string) (string, string) {
	p = strings.Replace(p, "/var/run/", "/run/", 1)
	for base, key := range directoryHierarchies {
		if strings.HasPrefix(p, base+"/") {
			rel := strings.TrimPrefix(p, base+"/")
			if i := strings.IndexByte(rel, '/'); i >= 0 {
				rel = rel[:i]
			}
			return key, rel
		}
	}
	return "", ""
}

func explicitValue(u *unitload.Unit, key string) (string, finding.Evidence, bool) {
	var v string
	var ev finding.Evidence
	found := false
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section == "Service" && a.Key == key {
				v, ev, found = a.Value, finding.Evidence{Path: f.Path, Line: a.Line, Text: a.Key + "=" + a.Value}, true
			}
		}
	}
	return v, ev, found
}

// Analyze studies one service unit.
func Analyze(in signals.Input, sig signals.Result) *Analysis {
	u, info, pkg := in.Unit, in.Info, in.Pkg
	a := &Analysis{Unit: u.Requested}
	users, groups := created(pkg)
	for n, ev := range users {
		a.Created = append(a.Created, Item{Tag: "user", Detail: n, Evidence: ev})
	}
	for n, ev := range groups {
		a.Created = append(a.Created, Item{Tag: "group", Detail: n, Evidence: ev})
	}
	sort.Slice(a.Created, func(i, j int) bool {
		return a.Created[i].Tag+a.Created[i].Detail < a.Created[j].Tag+a.Created[j].Detail
	})
	block := func(tag, detail string, ev finding.Evidence) {
		a.Blockers = append(a.Blockers, Item{Tag: tag, Detail: detail, Evidence: ev})
	}
	fix := func(tag, detail string, ev finding.Evidence) {
		a.FixUps = append(a.FixUps, Item{Tag: tag, Detail: detail, Evidence: ev})
	}
	if info.DynamicUser {
		return a // already dynamic: the strict tier covers the rest
	}
	// The unit's user.
	userVal, userEv, hasUser := explicitValue(u, "User")
	user := info.User
	if hasUser && (userVal == "root" || userVal == "0") {
		block("dynamic-user-explicit-root", "the unit states User="+userVal, userEv)
	}
	if user == "root" || user == "0" {
		user = ""
	}
	a.User = user
	// A distribution's static system account (base-passwd's man or mail,
	// Fedora setup's adm or ftp) is shared by design: other programs read
	// and write its files, which the conversion would move below a
	// private directory and chown away (the boot harness: man-db.service
	// wrote its index where man(1) and whatis(1) no longer find it).
	// nobody owns no files by convention and is not in the list.
	if _, own := users[user]; user != "" && !own && sharedAccounts[user] {
		ev := userEv
		if !hasUser {
			ev = finding.Evidence{Path: u.Path, Text: "User=" + user}
		}
		block("dynamic-user-shared-account", "the service runs as "+user+", a static system account of the distribution: other programs share its files", ev)
	}
	// D-Bus: a bus name cannot be owned by a dynamic user.
	if v, ev, ok := explicitValue(u, "BusName"); ok && v != "" {
		block("dynamic-user-dbus-name", "the service owns the bus name "+v, ev)
	}
	if v, ev, ok := explicitValue(u, "Type"); ok && v == "dbus" {
		block("dynamic-user-dbus-name", "Type=dbus", ev)
	}
	for _, e := range pkg.Entries {
		if !e.Kept || !(strings.Contains(e.Path, "/dbus-1/system.d/")) {
			continue
		}
		data, _ := pkg.Tree.ReadFile(e.Path, pkgmodel.MaxKept)
		for i, line := range strings.Split(string(data), "\n") {
			ev := finding.Evidence{Path: e.Path, Line: i + 1, Text: strings.TrimSpace(line)}
			switch {
			case user != "" && strings.Contains(line, `user="`+user+`"`) && strings.Contains(line, "policy"):
				block("dynamic-user-dbus-name", "a D-Bus policy grants the user "+user, ev)
			case singleService(in.Units) && (strings.Contains(line, "<allow own=") || strings.Contains(line, "<allow own_prefix=")):
				// Package-wide: it speaks for the service only when the
				// package has one (units that own a name say BusName=).
				block("dynamic-user-dbus-name", "a D-Bus policy of the package lets a service own a bus name", ev)
			}
		}
	}
	// The bus itself owns org.freedesktop.DBus.
	for _, f := range u.Files {
		for _, as := range f.Assignments {
			if as.Section == "Service" && strings.HasPrefix(as.Key, "Exec") &&
				(strings.Contains(as.Value, "dbus-daemon") || strings.Contains(as.Value, "dbus-broker")) {
				block("dynamic-user-dbus-name", "the service is the D-Bus message bus (it owns org.freedesktop.DBus)",
					finding.Evidence{Path: f.Path, Line: as.Line, Text: as.Key + "=" + as.Value})
			}
		}
	}
	// setuid/setgid helpers: DynamicUser= forces NoNewPrivileges.
	for _, n := range []string{"setuid-helper"} {
		if s, ok := sig.Fired[n]; ok && len(s.Evidence) > 0 {
			block("dynamic-user-setuid-helper", "DynamicUser=yes forces NoNewPrivileges=yes, which breaks setuid/setgid helpers", s.Evidence[0])
		}
	}
	// Capabilities a dynamic user cannot use for changing identity.
	for _, key := range []string{"CapabilityBoundingSet", "AmbientCapabilities"} {
		if v, ev, ok := explicitValue(u, key); ok && !strings.HasPrefix(v, "~") {
			for _, c := range strings.Fields(strings.ToUpper(v)) {
				switch c {
				case "CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP", "CAP_SYS_ADMIN", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER":
					block("dynamic-user-capabilities", "the unit needs "+c+", which only root or a static identity can use", ev)
				}
			}
		}
	}
	if _, pev, ok := explicitValue(u, "PAMName"); ok {
		block("dynamic-user-capabilities", "the unit opens a PAM session (PAMName=), which needs a real account", pev)
	}
	// The dynamic name: the unit's, unless the package creates a user of
	// that name (systemd would silently reuse the static account).
	p, _ := unitname.Parse(u.ID)
	dyn := p.Prefix
	for users[dyn] != (finding.Evidence{}) || groups[dyn] != (finding.Evidence{}) || dyn == user {
		dyn += "-dyn"
	}
	a.Dynamic = dyn
	a.Lines = append(a.Lines, "DynamicUser=yes")
	if hasUser || user != "" {
		a.Lines = append(a.Lines, "User="+dyn)
		if _, _, ok := explicitValue(u, "Group"); ok {
			a.Lines = append(a.Lines, "Group="+dyn)
		}
	} else if dyn != p.Prefix {
		a.Lines = append(a.Lines, "User="+dyn)
	}
	if ev, ok := users[user]; ok && user != "" {
		fix("dynamic-user-static-user", fmt.Sprintf("the package creates the static user %s; the service runs as the dynamic user %s instead", user, dyn), ev)
	}
	if user == "" {
		// A root daemon that switches to other users (logins, PAM
		// sessions, mail or FTP users) needs root's identity capabilities.
		if ev := identitySwitcher(pkg); ev != nil {
			block("dynamic-user-capabilities", "the root daemon switches to other users (a login, PAM or per-user service), which a transient user cannot do", *ev)
		}
		if ev := dropsOwnPrivileges(u, pkg); ev != nil {
			block("dynamic-user-capabilities", "the root daemon drops its own privileges (to its own user, or with libcap), which needs root", *ev)
		}
		// A system user the package creates is the user the root daemon
		// switches to by itself (haproxy, unbound), or whose files it
		// shares with the units that run as it (postgresql@ starts
		// clusters owned by postgres, which pg_basebackup@ runs as):
		// a transient identity can neither switch to it nor own those
		// files, and systemd would chown the shared state directory
		// away from it. Both found by the boot harness.
		if n, ev, by := packageUser(users, in.Units); n != "" {
			if by == "" {
				block("dynamic-user-capabilities", "the package creates the system user "+n+", which no unit runs as: the root daemon switches to it itself", ev)
			} else {
				block("dynamic-user-capabilities", "the package creates the system user "+n+", which "+by+" runs as: the root daemon shares its files or switches to it", ev)
			}
		}
		// What the static signals say a daemon needs root for.
		for _, n := range rootSignals {
			if s, ok := sig.Fired[n]; ok && len(s.Evidence) > 0 {
				block("dynamic-user-capabilities", fmt.Sprintf("the root daemon needs root's privileges (%s)", n), s.Evidence[0])
			}
		}
		// A PID file directly in /run cannot be written by a transient
		// user (/run belongs to root).
		if v, pev, ok := explicitValue(u, "PIDFile"); ok && strings.Count(strings.TrimPrefix(strings.Replace(v, "/var/run/", "/run/", 1), "/run/"), "/") == 0 && strings.HasPrefix(strings.Replace(v, "/var/run/", "/run/", 1), "/run/") {
			block("dynamic-user-root-paths", "the root daemon writes its PID file "+v+" directly in /run, which only root can write", pev)
		}
		fix("dynamic-user-root-daemon", fmt.Sprintf("the service ran as root; it runs as the dynamic user %s", dyn), finding.Evidence{Path: u.Path, Text: "no User="})
		if lowPorts(pkg) != nil {
			ev := *lowPorts(pkg)
			a.Lines = append(a.Lines, "AmbientCapabilities=CAP_NET_BIND_SERVICE")
			fix("dynamic-user-low-port", "the service listens on a port below 1024: it keeps CAP_NET_BIND_SERVICE as an ambient capability", ev)
		}
	}
	// What the package owns as the service user.
	dirs := map[string]string{} // "StateDirectory=redis" → evidence text
	// A directory of a package with other services is theirs too
	// (apache2's /var/cache/apache2 beside htcacheclean, NetworkManager's
	// state beside NetworkManager-wait-online): a *Directory= would chown
	// it to this unit's transient user at the first start. Reported once
	// per directory.
	others := otherServices(in.Units, u, user)
	sharedReported := map[string]bool{}
	shared := func(l, p string, ev finding.Evidence) bool {
		if len(others) == 0 {
			return false
		}
		if !sharedReported[l] {
			sharedReported[l] = true
			block("dynamic-user-shared-directory", fmt.Sprintf("%s is the package's, and %s may use it too: %s would chown it to this unit's transient user", p, strings.Join(others, ", "), l), ev)
		}
		return true
	}
	var supp []string
	for _, o := range ownership(pkg) {
		if user == "" || (o.user != user && o.group != user && !(groups[o.group] != (finding.Evidence{}) && o.group != "root")) {
			continue
		}
		key, rel := hierarchyOf(o.path)
		switch {
		case key != "" && rel != "":
			l := key + "=" + rel
			if _, ok := dirs[l]; !ok && !shared(l, o.path, o.ev) {
				dirs[l] = o.ev.Text
				fix("dynamic-user-state-directory", fmt.Sprintf("%s is owned by %s: %s replaces it (systemd chowns it recursively at the first start)", o.path, user, l), o.ev)
			}
		case strings.HasPrefix(o.path, "/etc/") && o.group != "" && o.group != "root" && groupOnly(o.mode):
			if !contains(supp, o.group) {
				supp = append(supp, o.group)
				fix("dynamic-user-group-readable-config", fmt.Sprintf("%s is readable only by the group %s: SupplementaryGroups=%s keeps access", o.path, o.group, o.group), o.ev)
			}
		case o.user == user:
			block("dynamic-user-owned-files", fmt.Sprintf("%s is owned by %s outside the StateDirectory=/CacheDirectory=/LogsDirectory= hierarchies", o.path, user), o.ev)
		}
	}
	// Writable paths the strict tier grants: shipped directories become
	// *Directory= under a dynamic user (they must be chowned to it).
	for _, w := range sig.Writable {
		if w.Existing && w.Directive != "ReadWritePaths" {
			continue // already a *Directory= systemd manages
		}
		key, rel := hierarchyOf(w.Path)
		if key == "" || rel == "" || rel != path.Base(w.Path) {
			continue
		}
		l := key + "=" + rel
		if _, ok := dirs[l]; ok || shared(l, w.Path, w.Evidence) {
			continue
		}
		dirs[l] = w.Evidence.Text
	}
	var dl []string
	for l := range dirs {
		dl = append(dl, l)
	}
	sort.Strings(dl)
	a.Lines = append(a.Lines, dl...)
	// Configuration only a group reads: the group stays supplementary.
	// (As the primary Group= naming the static group, systemd would reuse
	// it, but RemoveIPC=, implied by DynamicUser=, would then delete the
	// IPC objects of every process of that group, redis-sentinel's
	// included, when the unit stops; systemd-analyze counts the
	// supplementary group against the unit: +0.1 for redis-server.)
	if len(supp) > 0 {
		sort.Strings(supp)
		a.Lines = append(a.Lines, "SupplementaryGroups="+strings.Join(supp, " "))
	}
	return a
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// groupOnly reports whether a mode lets the group but not others read.
func groupOnly(mode string) bool {
	if len(mode) < 3 {
		return false
	}
	g, o := mode[len(mode)-2], mode[len(mode)-1]
	return (g-'0')&4 != 0 && (o-'0')&4 == 0
}

// lowPorts finds evidence that the service listens below port 1024: the
// package provides a service that does (httpd, ssh-server, mail, DNS, …).
func lowPorts(pkg *pkgmodel.Package) *finding.Evidence {
	for _, p := range strings.Split(pkg.Control["Provides"], ",") {
		name := firstWord(p)
		switch name {
		case "httpd", "ssh-server", "mail-transport-agent", "dns-server", "ftp-server", "imap-server", "pop3-server", "ntp-server":
			ev := finding.Evidence{Path: "DEBIAN/control", Text: "Provides: " + name}
			return &ev
		}
	}
	return nil
}

// Managed reports whether path lies in a directory the conversion hands
// to systemd (a *Directory= line), so no ReadWritePaths= is needed.
func Managed(a *Analysis, p string) bool {
	key, rel := hierarchyOf(p)
	if key == "" || rel == "" {
		return false
	}
	return contains(a.Lines, key+"="+rel)
}

// identitySwitcher finds evidence that a root daemon switches to other
// users: it depends on PAM, or provides a login, cron, mail, FTP or
// IMAP/POP3 service.
func identitySwitcher(pkg *pkgmodel.Package) *finding.Evidence {
	for _, field := range []string{"Depends", "Pre-Depends", "Requires"} {
		for _, dep := range strings.Split(pkg.Control[field], ",") {
			name := firstWord(dep)
			if name == "libpam0g" || name == "libpam-runtime" || name == "libpam-modules" || strings.HasPrefix(name, "pam") || strings.HasPrefix(name, "libpam.so") {
				ev := finding.Evidence{Path: "DEBIAN/control", Text: field + ": " + name}
				return &ev
			}
		}
	}
	for _, p := range strings.Split(pkg.Control["Provides"], ",") {
		name := firstWord(p)
		switch name {
		case "ssh-server", "cron-daemon", "ftp-server", "mail-transport-agent", "imap-server", "pop3-server", "login":
			ev := finding.Evidence{Path: "DEBIAN/control", Text: "Provides: " + name}
			return &ev
		}
	}
	return nil
}

// firstWord returns the first word of a dependency ("foo (>= 1)" → "foo").
func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// sharedAccounts are the distributions' static system accounts: Debian's
// base-passwd (passwd.master, UIDs below 100) and Fedora's setup package
// (uidgid), without root (refused on its own) and nobody (owns nothing).
var sharedAccounts = map[string]bool{
	"daemon": true, "bin": true, "sys": true, "sync": true, "games": true, "man": true, "lp": true, "mail": true,
	"news": true, "uucp": true, "proxy": true, "www-data": true, "backup": true, "list": true, "irc": true, "gnats": true,
	"adm": true, "shutdown": true, "halt": true, "operator": true, "ftp": true,
}

// otherServices lists the package's service units other than u (by
// template name, sorted), aliases left out, and so are the units that run
// as the same static user and have the same name prefix (redis-server and
// redis-server@): converted, they get the same dynamic user name, and
// systemd gives units of one name one UID.
func otherServices(units []*unitload.Unit, u *unitload.Unit, user string) []string {
	seen := map[string]bool{}
	var out []string
	mine, _ := unitname.Parse(u.ID)
	for _, o := range units {
		// The unit itself, its aliases, and its template's other
		// instances shipped as files (tor@default.service) are not others.
		if o == u || o.Path == u.Path || !strings.HasSuffix(o.Requested, ".service") || o.AliasOf != "" || unitname.Family(o.ID) == unitname.Family(u.ID) {
			continue
		}
		if v, _, ok := explicitValue(o, "User"); ok && user != "" && v == user {
			if op, _ := unitname.Parse(o.ID); op.Prefix == mine.Prefix {
				continue
			}
		}
		n := unitname.Family(o.Requested)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func singleService(units []*unitload.Unit) bool {
	n := 0
	for _, u := range units {
		if strings.HasSuffix(u.Requested, ".service") && u.AliasOf == "" {
			n++
		}
	}
	return n <= 1
}

// rootSignals are the static signals that show a root daemon using root's
// privileges: it cannot run as a transient user.
var rootSignals = []string{"device-user", "firewall-tool", "sysctl-writer", "module-loader", "kernel-log-reader",
	"cgroup-manager", "clock-setter", "hostname-setter", "package-manager", "namespace-creator", "mounts-filesystems",
	"packet-sockets", "capability-user", "home-writer", "home-reader", "chroot-user", "storage-admin", "network-configurer", "session-host"}

var userOption = regexp.MustCompile(`(?:^|\s)(?:-u|-U|--user|--uid|--runas|-g|--group)(?:[\s=]+)([A-Za-z_$][\w$.{}-]*)`)

// dropsOwnPrivileges finds a root daemon that switches to a user itself:
// an Exec*= line passes a user option, or the package links libcap.
// packageUser returns a user the package creates (the first unused by
// any unit's User=, else the first by name, for stable output) and the
// unit that runs as it, if any.
func packageUser(users map[string]finding.Evidence, units []*unitload.Unit) (string, finding.Evidence, string) {
	usedBy := map[string]string{}
	for _, u := range units {
		if v, _, ok := explicitValue(u, "User"); ok {
			if _, seen := usedBy[v]; !seen {
				usedBy[v] = unitname.Family(u.ID)
			}
		}
	}
	var unused, used []string
	for n := range users {
		if _, ok := usedBy[n]; ok {
			used = append(used, n)
		} else {
			unused = append(unused, n)
		}
	}
	sort.Strings(unused)
	sort.Strings(used)
	switch {
	case len(unused) > 0:
		return unused[0], users[unused[0]], ""
	case len(used) > 0:
		return used[0], users[used[0]], usedBy[used[0]]
	}
	return "", finding.Evidence{}, ""
}

func dropsOwnPrivileges(u *unitload.Unit, pkg *pkgmodel.Package) *finding.Evidence {
	for _, f := range u.Files {
		for _, a := range f.Assignments {
			if a.Section == "Service" && (a.Key == "ExecStart" || a.Key == "ExecStartPre") && userOption.MatchString(a.Value) {
				ev := finding.Evidence{Path: f.Path, Line: a.Line, Text: a.Key + "=" + a.Value}
				return &ev
			}
		}
	}
	for _, field := range []string{"Depends", "Pre-Depends", "Requires"} {
		for _, dep := range strings.Split(pkg.Control[field], ",") {
			switch name := firstWord(dep); {
			case name == "libcap2", name == "libcap-ng0", strings.HasPrefix(name, "libcap.so"), strings.HasPrefix(name, "libcap-ng.so"):
				ev := finding.Evidence{Path: scriptPath(pkg, "control"), Text: field + ": " + name}
				return &ev
			}
		}
	}
	return nil
}
