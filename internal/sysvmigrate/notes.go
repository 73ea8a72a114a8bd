package sysvmigrate

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/sysv"
)

// NextVersion stands for the first version without the script when the
// caller does not know it. It is deliberately not a valid Debian version
// in a maintscript line, so a note pasted unedited fails the build
// (dh_installdeb validates the line in compat 12 and later) instead of
// removing the conffile at the wrong upgrade.
const NextVersion = "NEXT_VERSION"

// Note is the migration note of one package (one JSON line).
type Note struct {
	Package    *string      `json:"package"` // null for a plain directory
	Version    *string      `json:"version"`
	Format     string       `json:"format"` // deb, rpm, dir
	Migratable bool         `json:"migratable"`
	Scripts    []ScriptNote `json:"scripts"`
	Debian     *Debian      `json:"debian"` // null for an .rpm
	RPM        *RPM         `json:"rpm"`    // null for a .deb
}

// ScriptNote is what the note says about one init script.
type ScriptNote struct {
	Path       string      `json:"path"`
	Unit       string      `json:"unit"`
	ReplacedBy *string     `json:"replaced_by"` // unit file path, null when nothing replaces it
	How        *string     `json:"how"`         // unit, masked, alias, provides; null when not replaced
	Conffile   bool        `json:"conffile"`
	Provides   []string    `json:"provides"`
	Start      []string    `json:"default_start"`
	Stop       []string    `json:"default_stop"`
	LSBIssues  []string    `json:"lsb_problems"`
	Default    *DefaultDoc `json:"default"` // null when no settings file is shipped
	Calls      []sysv.Call `json:"calls"`
}

// DefaultDoc is the decision about /etc/default/<name> (/etc/sysconfig).
type DefaultDoc struct {
	Path         string `json:"path"`
	Conffile     bool   `json:"conffile"`
	ReadByUnit   bool   `json:"read_by_unit"`
	ReadByScript bool   `json:"read_by_script"`
	// Action is "keep" (the unit reads it), "remove" (a conffile only the
	// script read: rm_conffile) or "purge" (maintainer-script managed:
	// the package deletes it on purge itself).
	Action string `json:"action"`
}

// Debian is the Debian side of the note.
type Debian struct {
	Maintscript []string `json:"maintscript"`  // debian/<pkg>.maintscript lines
	Postinst    string   `json:"postinst"`     // snippet before #DEBHELPER#
	News        string   `json:"news"`         // NEWS.Debian paragraphs
	LintianGone []string `json:"lintian_gone"` // tags that can no longer appear
	LintianNew  []string `json:"lintian_new"`  // tags that may appear
	Orphan      string   `json:"orphan_sysvinit_scripts"`
}

// RPM is the RPM side of the note.
type RPM struct {
	Remove     []string `json:"remove"`     // %files/%install entries to drop
	Scriptlets []string `json:"scriptlets"` // chkconfig lines to drop, as found
	Upgrade    string   `json:"upgrade"`    // %triggerun for SysV-era packages
	Historical string   `json:"historical"` // systemd-sysv-convert, for the record
}

// lintianGone are the lintian 2.116 tags about init scripts that cannot
// fire once the package ships none (notes/debian.md §8.2).
var lintianGone = []string{
	"init.d-script-does-not-implement-status-option",
	"init.d-script-has-bad-lsb-line",
	"init.d-script-missing-dependency-on-local_fs",
	"init.d-script-missing-lsb-section",
	"init.d-script-sourcing-without-test",
	"init.d-script-should-always-start-service",
	"non-virtual-facility-in-initd-script",
	"script-in-etc-init.d-not-registered-via-update-rc.d",
}

// lintianNew are the tags a correct migration may bring: the info tag
// bookworm's lintian (< 2.122) gives daemons without a script, and the
// errors a wrong migration gives (the script deleted during the binary
// build, a maintscript line with parameters).
var lintianNew = []string{
	"package-supports-alternative-init-but-no-init.d-script (info, lintian before 2.122 only; expected)",
	"init.d-script-not-included-in-package (error: the script was removed after dh_installinit ran; remove debian/<pkg>.init instead)",
	"maintscript-includes-maint-script-parameters (warning: the maintscript line must not end in -- \"$@\")",
}

// NewNote describes how to drop the package's init scripts. next is the
// first version without them; "" gives NextVersion.
func NewNote(pkg *pkgmodel.Package, scripts []sysv.Script, next string) Note {
	if next == "" {
		next = NextVersion
	}
	n := Note{Package: strOrNil(pkg.Name), Version: strOrNil(pkg.Version), Format: string(pkg.Format), Migratable: true, Scripts: []ScriptNote{}}
	var names, removeDefaults []string
	var calls []sysv.Call
	for _, s := range scripts {
		sn := ScriptNote{Path: s.Path, Unit: s.Unit, Conffile: s.Conffile, Provides: nonNil(s.LSB.Provides),
			Start: nonNil(s.LSB.DefaultStart), Stop: nonNil(s.LSB.DefaultStop), LSBIssues: nonNil(s.LSB.Problems),
			Calls: s.Calls}
		if sn.Calls == nil {
			sn.Calls = []sysv.Call{}
		}
		if s.How != "" {
			r, h := s.Replaced, s.How
			sn.ReplacedBy, sn.How = &r, &h
		} else {
			n.Migratable = false
		}
		if s.Default != "" {
			// A staging tree has no conffiles list, but dh_installdeb
			// makes every file under /etc a conffile.
			conf := s.DefaultConffile || pkg.Format == pkgmodel.Dir
			d := &DefaultDoc{Path: s.Default, Conffile: conf, ReadByUnit: s.UnitReadsDefault, ReadByScript: s.ScriptReadsDefault}
			switch {
			case s.UnitReadsDefault:
				d.Action = "keep"
			case conf:
				d.Action = "remove"
				removeDefaults = append(removeDefaults, s.Default)
			default:
				d.Action = "purge"
			}
			sn.Default = d
		}
		n.Scripts = append(n.Scripts, sn)
		names = append(names, s.Name)
		calls = append(calls, s.Calls...)
	}
	if pkg.Format != pkgmodel.RPM {
		d := &Debian{LintianGone: lintianGone, LintianNew: lintianNew, Maintscript: []string{}}
		for _, s := range scripts {
			if s.Conffile || pkg.Format == pkgmodel.Dir { // see conf above
				d.Maintscript = append(d.Maintscript, MaintscriptLine(s.Path, next))
			}
		}
		for _, p := range removeDefaults {
			d.Maintscript = append(d.Maintscript, MaintscriptLine(p, next))
		}
		d.Postinst = PostinstGuard(names, next)
		news := NewsEntry(orUnknown(pkg.SourcePackage, pkg.Name), next, "unstable", "Maintainer Name <maintainer@example.org>", "DATE", names, removeDefaults)
		d.News = news
		d.Orphan = fmt.Sprintf("Users of other init systems lose the script. If it should survive, file a bug against "+
			"orphan-sysvinit-scripts with a copy of the script and its copyright status, naming the unit and script "+
			"(mapping line: %s). On systemd systems that package cannot be installed (systemd-sysv conflicts with it).",
			mappingLine(scripts))
		n.Debian = d
	}
	if pkg.Format != pkgmodel.Deb {
		r := &RPM{Remove: []string{}, Scriptlets: []string{}}
		for _, s := range scripts {
			r.Remove = append(r.Remove, s.Path)
		}
		for _, c := range calls {
			if c.Tool == "chkconfig" || c.Tool == "systemd-sysv-convert" {
				r.Scriptlets = append(r.Scriptlets, fmt.Sprintf("%s:%d: %s", c.Script, c.Line, c.Text))
			}
		}
		var tb strings.Builder
		for _, nm := range names {
			fmt.Fprintf(&tb, "%%triggerun -- %s < %s\n/sbin/chkconfig --del %s >/dev/null 2>&1 || :\n", orUnknown(pkg.Name, nm), next, nm)
		}
		r.Upgrade = tb.String()
		r.Historical = "Fedora's 2011 guidelines and openSUSE's old %service_add_pre ran " +
			"\"systemd-sysv-convert --save <name>\" in %triggerun to carry runlevel settings over; " +
			"current Fedora and openSUSE rules start over with the unit's presets, and systemd-sysv-convert is gone."
		n.RPM = r
	}
	return n
}

// mappingLine is the orphan-sysvinit-scripts mapping entry ("unit-name
// sysv-name") of the first replaced script.
func mappingLine(scripts []sysv.Script) string {
	var l []string
	for _, s := range scripts {
		if s.Replaced != "" {
			l = append(l, path.Base(s.Replaced)+" "+s.Name)
		}
	}
	sort.Strings(l)
	if len(l) == 0 {
		return "none: no unit replaces the script"
	}
	return strings.Join(l, "; ")
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orUnknown(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// WriteJSON writes the notes as JSON lines.
func WriteJSON(w io.Writer, notes []Note) error {
	enc := json.NewEncoder(w)
	// Shell snippets are full of > and &: keep them readable.
	enc.SetEscapeHTML(false)
	for _, n := range notes {
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("writing SysV notes: %w", err)
		}
	}
	return nil
}

// WriteMarkdown writes the notes as a Markdown document.
func WriteMarkdown(w io.Writer, notes []Note) error {
	var b strings.Builder
	for i, n := range notes {
		if i > 0 {
			b.WriteString("\n")
		}
		markdown(&b, n)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing SysV notes: %w", err)
	}
	return nil
}

func markdown(b *strings.Builder, n Note) {
	name := "(directory)"
	if n.Package != nil {
		name = *n.Package
	}
	fmt.Fprintf(b, "# Dropping the SysV init scripts of %s", name)
	if n.Version != nil {
		fmt.Fprintf(b, " %s", *n.Version)
	}
	b.WriteString("\n\n")
	if len(n.Scripts) == 0 {
		b.WriteString("The package ships no init script; nothing to do.\n")
		return
	}
	b.WriteString("| script | conffile | replaced by | Provides | Default-Start | settings file |\n|---|---|---|---|---|---|\n")
	for _, s := range n.Scripts {
		repl := "**nothing** — write a unit first"
		if s.ReplacedBy != nil {
			repl = fmt.Sprintf("`%s` (%s)", *s.ReplacedBy, *s.How)
		}
		def := "—"
		if s.Default != nil {
			def = fmt.Sprintf("`%s`: %s", s.Default.Path, s.Default.Action)
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", s.Path, yesNo(s.Conffile), repl,
			strings.Join(s.Provides, " "), strings.Join(s.Start, " "), def)
	}
	b.WriteString("\n")
	if !n.Migratable {
		b.WriteString("**Not migratable yet**: a script above has no unit. Under systemd 260 and later it is never " +
			"started; write a native unit named after it (see `systemd-harden explain sysv-init-script-without-unit`) " +
			"before dropping the script.\n")
		return
	}
	var calls []string
	for _, s := range n.Scripts {
		for _, c := range s.Calls {
			calls = append(calls, fmt.Sprintf("- %s:%d (%s): `%s`", c.Script, c.Line, c.Tool, c.Text))
		}
	}
	if len(calls) > 0 {
		b.WriteString("Maintainer script lines that manage the scripts (generated by dh_installinit; they go away with " +
			"the script, hand-written ones must be removed by hand):\n\n" + strings.Join(calls, "\n") + "\n\n")
	}
	for _, s := range n.Scripts {
		if s.Default == nil {
			continue
		}
		switch s.Default.Action {
		case "keep":
			fmt.Fprintf(b, "`%s` is read by the unit (EnvironmentFile=): keep it as a conffile.\n\n", s.Default.Path)
		case "remove":
			fmt.Fprintf(b, "`%s` is not read by the unit, so its settings already have no effect under systemd: "+
				"remove it with `rm_conffile` (below) and say in NEWS.Debian where its settings go, or make the unit "+
				"read it with `EnvironmentFile=-%s` and keep it.\n\n", s.Default.Path, s.Default.Path)
		case "purge":
			fmt.Fprintf(b, "`%s` is not a conffile: the maintainer scripts created it, so they must delete it on purge.\n\n", s.Default.Path)
		}
	}
	if d := n.Debian; d != nil {
		b.WriteString("## Debian\n\n")
		fmt.Fprintf(b, "Everything below uses `%s` for the **first version without the script**; with an already "+
			"released version the removal would never fire. Remove `debian/<pkg>.init` (or the upstream install rule) "+
			"in the source; deleting the script during the binary build leaves debhelper's update-rc.d calls behind.\n\n", NextVersion)
		b.WriteString("`debian/<pkg>.maintscript` (add `Pre-Depends: ${misc:Pre-Depends}`):\n\n```\n" + strings.Join(d.Maintscript, "\n") + "\n```\n\n")
		b.WriteString("`debian/<pkg>.postinst`, before `#DEBHELPER#`:\n\n```sh\n" + d.Postinst + "```\n\n")
		b.WriteString("`debian/NEWS`:\n\n```\n" + d.News + "```\n\n")
		b.WriteString("Lintian tags that can no longer appear: " + codeList(d.LintianGone) + ".\n\n")
		b.WriteString("Lintian tags that may appear:\n\n")
		for _, t := range d.LintianNew {
			fmt.Fprintf(b, "- %s\n", t)
		}
		b.WriteString("\norphan-sysvinit-scripts: " + d.Orphan + "\n")
	}
	if r := n.RPM; r != nil {
		if n.Debian != nil {
			b.WriteString("\n")
		}
		b.WriteString("## RPM\n\n")
		b.WriteString("Remove from `%install` and `%files`: " + codeList(r.Remove) + ". Fedora forbids an init script " +
			"beside a unit (FPC #359) and openSUSE's rpmlint rejects it. Use `%systemd_post`, `%systemd_preun` and " +
			"`%systemd_postun_with_restart` for the unit instead of chkconfig scriptlets.\n\n")
		if len(r.Scriptlets) > 0 {
			b.WriteString("Scriptlet lines to drop:\n\n")
			for _, s := range r.Scriptlets {
				fmt.Fprintf(b, "- `%s`\n", s)
			}
			b.WriteString("\n")
		}
		b.WriteString("For upgrades from SysV-era packages, remove the chkconfig links (the old %preun removes them only on erase):\n\n```spec\n" + r.Upgrade + "```\n\n")
		b.WriteString("Historical: " + r.Historical + "\n")
	}
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func codeList(l []string) string {
	var q []string
	for _, s := range l {
		q = append(q, "`"+s+"`")
	}
	return strings.Join(q, ", ")
}
