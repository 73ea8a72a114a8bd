// Package sysvmigrate turns the SysV detection of internal/sysv into
// migration notes (what a packager has to change to drop an init script
// safely) and, for a Debian source tree, into the change itself
// (migrate-sysv). The recipe is the one tested in
// ../shared/notes/debian.md §12.6: rm_conffile in debian/<pkg>.maintscript,
// an rc link cleanup guard in postinst, the /etc/default decision, and a
// NEWS.Debian entry.
package sysvmigrate

import (
	"fmt"
	"strings"
)

// MaintscriptLine is the dpkg-maintscript-helper line that removes a
// formerly shipped conffile on upgrade. The "~" makes locally rebuilt
// versions of the first version without the file trigger it too
// (dpkg-maintscript-helper(1)).
func MaintscriptLine(conffile, firstVersion string) string {
	return fmt.Sprintf("rm_conffile %s %s~", conffile, firstVersion)
}

// PostinstGuard is the shell snippet that removes the rc?.d links of the
// dropped scripts on upgrade from a version that still had them. The old
// package's postrm removes them only on purge, so without it they stay
// behind. update-rc.d needs -f because the conffile is only renamed away
// by then (notes/debian.md §12.2). lt-nl is false on a first install,
// where $2 is empty.
func PostinstGuard(names []string, firstVersion string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Added by systemd-harden migrate-sysv: the SysV init script was dropped in\n")
	fmt.Fprintf(&b, "# %s; remove the rc?.d links it left behind.\n", firstVersion)
	fmt.Fprintf(&b, "if [ \"$1\" = \"configure\" ] && dpkg --compare-versions \"$2\" lt-nl \"%s~\"; then\n", firstVersion)
	for _, n := range names {
		fmt.Fprintf(&b, "\tupdate-rc.d -f %s remove >/dev/null || true\n", n)
	}
	b.WriteString("fi\n")
	return b.String()
}

// NewsEntry is the NEWS.Debian entry announcing the removal, in
// changelog format (no asterisks, full paragraphs; Developer's Reference
// §6.3.4). defaults are the /etc/default files removed with the scripts.
func NewsEntry(source, version, distribution, maintainer, date string, scripts, defaults []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) %s; urgency=medium\n\n", source, version, distribution)
	var paths []string
	for _, s := range scripts {
		paths = append(paths, "/etc/init.d/"+s)
	}
	para := fmt.Sprintf("The SysV init script %s is no longer shipped: the systemd unit has replaced it, "+
		"and systemd 260 and later no longer run init scripts at all.", strings.Join(paths, ", "))
	if len(scripts) > 1 {
		para = fmt.Sprintf("The SysV init scripts %s are no longer shipped: the systemd units have replaced them, "+
			"and systemd 260 and later no longer run init scripts at all.", strings.Join(paths, ", "))
	}
	b.WriteString(wrap(para))
	b.WriteString("\n")
	b.WriteString(wrap("On upgrade an unmodified script is removed together with its rc?.d links; a " +
		"locally modified one is kept as <script>.dpkg-bak and can be deleted once it is no longer needed."))
	if len(defaults) > 0 {
		b.WriteString("\n")
		b.WriteString(wrap(fmt.Sprintf("%s was only read by the init script and is removed the same way "+
			"(a modified copy is kept as .dpkg-bak). Settings for the service now go into a drop-in "+
			"created with \"systemctl edit\".", strings.Join(defaults, ", "))))
	}
	b.WriteString("\n")
	b.WriteString(wrap("Systems booted with another init system can get a replacement script from the " +
		"orphan-sysvinit-scripts package, or use that init system's native configuration."))
	fmt.Fprintf(&b, "\n -- %s  %s\n", maintainer, date)
	return b.String()
}

// wrap formats a paragraph as a changelog body: two spaces of indent,
// lines up to 78 columns.
func wrap(para string) string {
	var b strings.Builder
	line := " "
	for _, w := range strings.Fields(para) {
		if len(line)+1+len(w) > 78 && line != " " {
			b.WriteString(line + "\n")
			line = " "
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
	return b.String()
}
