package dynuser

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
)

// Note is the migration note of one unit (one JSON line).
type Note struct {
	Package string   `json:"package"`
	Version string   `json:"version"`
	Format  string   `json:"format"` // deb, rpm, dir
	Status  string   `json:"status"` // converted | refused | already-dynamic
	Unit    string   `json:"unit"`
	Static  string   `json:"static_user"`
	Dynamic string   `json:"dynamic_user"`
	Lines   []string `json:"lines"`
	Block   []Item   `json:"blockers"`
	Fix     []Item   `json:"fixups"`
	Created []Item   `json:"created"`
}

// NewNote turns an analysis into a note.
func NewNote(pkg, version, format string, a *Analysis) Note {
	n := Note{Package: pkg, Version: version, Format: format, Unit: a.Unit, Static: a.User, Dynamic: a.Dynamic,
		Lines: a.Lines, Block: a.Blockers, Fix: a.FixUps, Created: a.Created}
	switch {
	case !a.Ready():
		n.Status = "refused"
	case len(a.Lines) == 0:
		n.Status = "already-dynamic"
	default:
		n.Status = "converted"
	}
	for _, p := range []*[]Item{&n.Block, &n.Fix, &n.Created} {
		if *p == nil {
			*p = []Item{}
		}
	}
	if n.Lines == nil {
		n.Lines = []string{}
	}
	return n
}

// WriteJSON writes the notes as JSON lines.
func WriteJSON(w io.Writer, notes []Note) error {
	enc := json.NewEncoder(w)
	for _, n := range notes {
		if err := enc.Encode(n); err != nil {
			return fmt.Errorf("writing notes: %w", err)
		}
	}
	return nil
}

func ev(e finding.Evidence) string {
	if e.Path == "" {
		return e.Text
	}
	if e.Line > 0 {
		return fmt.Sprintf("`%s:%d`: `%s`", e.Path, e.Line, e.Text)
	}
	return fmt.Sprintf("`%s`: `%s`", e.Path, e.Text)
}

// WriteMarkdown writes the migration notes for a packager: what blocks a
// unit, or what the conversion changes, what to remove from the
// packaging, what happens on upgrade, and how to test.
func WriteMarkdown(w io.Writer, notes []Note) error {
	var b strings.Builder
	if len(notes) == 0 {
		_, err := io.WriteString(w, "# DynamicUser= migration notes\n\nNo service unit.\n")
		return err
	}
	n0 := notes[0]
	fmt.Fprintf(&b, "# DynamicUser= migration notes: %s %s\n", n0.Package, n0.Version)
	for _, n := range notes {
		fmt.Fprintf(&b, "\n## %s: %s\n", n.Unit, n.Status)
		switch n.Status {
		case "already-dynamic":
			b.WriteString("\nThe unit already sets `DynamicUser=yes`; nothing to migrate.\n")
			continue
		case "refused":
			b.WriteString("\nThe unit cannot run as a dynamic user yet; it gets the strict tier instead. Blockers:\n\n")
			for _, x := range n.Block {
				fmt.Fprintf(&b, "- **%s**: %s (%s)\n", x.Tag, x.Detail, ev(x.Evidence))
			}
			b.WriteString("\nRemove every blocker, then run the dynamic-user tier again.\n")
			continue
		}
		who := "root"
		if n.Static != "" {
			who = "the static user `" + n.Static + "`"
		}
		fmt.Fprintf(&b, "\nThe service ran as %s; it runs as the dynamic user `%s`. The drop-in adds:\n\n```ini\n[Service]\n%s\n```\n",
			who, n.Dynamic, strings.Join(n.Lines, "\n"))
		if len(n.Fix) > 0 {
			b.WriteString("\nWhat the analysis found and changed:\n\n")
			for _, x := range n.Fix {
				fmt.Fprintf(&b, "- **%s**: %s (%s)\n", x.Tag, x.Detail, ev(x.Evidence))
			}
		}
		b.WriteString("\n### Packaging\n\n")
		var mine []Item
		for _, c := range n.Created {
			if c.Detail == n.Static {
				mine = append(mine, c)
			}
		}
		if len(mine) > 0 {
			b.WriteString("Once every supported upgrade path starts from a version with this conversion, the static account is no longer needed:\n\n")
			for _, c := range mine {
				fmt.Fprintf(&b, "- the %s `%s` is created by %s\n", c.Tag, c.Detail, ev(c.Evidence))
			}
			b.WriteString("\n")
		}
		switch n.Format {
		case "rpm":
			b.WriteString("- RPM: drop the `%pre` `useradd`/`getent` lines (or `%sysusers_create_compat`) and the `%attr` ownership of the service's directories; keep `%dir` entries only for directories that are not `StateDirectory=`/`CacheDirectory=`/`LogsDirectory=` ones.\n")
		default:
			b.WriteString("- Debian: drop the `adduser`/`useradd` call (or `debian/<pkg>.sysusers`) and the `chown`/`dpkg-statoverride` calls for the service's directories from the maintainer scripts; do not ship those directories (systemd creates them).\n")
		}
		b.WriteString("- Keep any `SupplementaryGroups=` group the drop-in names: it still grants access to configuration.\n")
		b.WriteString("\n### Upgrades of installed systems\n\n")
		if n.Static != "" {
			fmt.Fprintf(&b, "- The static user `%s` and its files stay on installed systems until removed; the service no longer uses it.\n", n.Static)
		}
		b.WriteString("- At the first start systemd moves each existing `/var/lib/<dir>` (and cache/log directory) to `/var/lib/private/<dir>` with a symlink back, and chowns it recursively to the dynamic user (systemd 252; from 257 it maps the owner instead of chowning). Large state makes that first start slow.\n")
		b.WriteString("- Switching back to a static user later is migrated by systemd itself.\n")
		b.WriteString("\n### How to test\n\n")
		fmt.Fprintf(&b, "- `systemd-analyze security --offline=true --root=<tree> %s` shows the transient identity (User=/DynamicUser= ✓).\n", n.Unit)
		fmt.Fprintf(&b, "- Start it on a real system (or `make boot-test`): `systemctl start %s`, check it is active, exercise it, and look for \"Permission denied\" in `journalctl -u %s`.\n", n.Unit, n.Unit)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
