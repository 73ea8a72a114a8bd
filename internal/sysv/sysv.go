// Package sysv finds the SysV init scripts a package ships and whether a
// systemd unit of the same name replaces each one, the way
// systemd-sysv-generator decides it.
package sysv

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
	"github.com/systemd-harden/systemd-harden/internal/tree"
	"github.com/systemd-harden/systemd-harden/internal/unitload"
)

// Dirs are the init script directories: Debian's, and the one Fedora,
// RHEL and openSUSE build systemd-sysv-generator with.
var Dirs = []string{"/etc/init.d", "/etc/rc.d/init.d"}

// Script is one init script.
type Script struct {
	Path string // "/etc/init.d/foo"
	Unit string // the unit systemd would generate for it: "foo.service"
	// Replaced is the package's unit file of that name, or the unit whose
	// [Install] Alias= carries the name; "" when nothing replaces it.
	Replaced string
	How      string // "unit", "masked", "alias", "provides" (empty when not replaced)

	Name     string // the script's file name: "foo"
	Conffile bool   // listed in the package's conffiles
	LSB      LSB    // its LSB header (Present false for a symlink or no header)
	// Default is the settings file the package ships for the script,
	// /etc/default/<name> (Debian) or /etc/sysconfig/<name> (RPM); "" when
	// none. DefaultConffile says it is a conffile, UnitReadsDefault that the
	// replacing unit names it in EnvironmentFile=, ScriptReadsDefault that
	// the script's text mentions its directory.
	Default            string
	DefaultConffile    bool
	UnitReadsDefault   bool
	ScriptReadsDefault bool
	// Calls are the maintainer script lines that manage this script
	// (update-rc.d, invoke-rc.d, chkconfig, systemd-sysv-convert).
	Calls []Call
}

// backup suffixes systemd skips as hidden or backup files
// (hidden_or_backup_file() in systemd's basic/path-util.c).
var backup = []string{"~", ".rpmnew", ".rpmsave", ".rpmorig", ".dpkg-old", ".dpkg-new", ".dpkg-tmp",
	".dpkg-dist", ".dpkg-bak", ".dpkg-backup", ".dpkg-remove", ".ucf-new", ".ucf-old", ".ucf-dist",
	".swp", ".bak", ".old", ".new"}

// isScript reports whether an entry is a script the generator would read:
// not hidden or a backup, and executable when it is a regular file (RHEL's
// /etc/rc.d/init.d/functions is a 0644 library, not a service).
func isScript(e pkgmodel.Entry) bool {
	base := path.Base(e.Path)
	if strings.HasPrefix(base, ".") || base == "README" {
		return false
	}
	for _, s := range backup {
		if strings.HasSuffix(base, s) {
			return false
		}
	}
	switch e.Type {
	case tree.Regular:
		return e.Mode&0o111 != 0
	case tree.Symlink:
		return true
	}
	return false
}

// UnitName is the service the generator makes of a script name; a ".sh"
// suffix is dropped (sysv_translate_name()).
func UnitName(script string) string {
	return strings.TrimSuffix(script, ".sh") + ".service"
}

// Find returns the package's init scripts, sorted by path. version is the
// target systemd, for the unit search path.
func Find(pkg *pkgmodel.Package, version int) ([]Script, error) {
	var out []Script
	for _, e := range pkg.Entries {
		dir := path.Dir(e.Path)
		in := false
		for _, d := range Dirs {
			in = in || dir == d
		}
		if !in || !isScript(e) {
			continue
		}
		out = append(out, Script{Path: e.Path, Unit: UnitName(path.Base(e.Path)), Name: path.Base(e.Path)})
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	l, err := unitload.New(pkg.Tree, version)
	if err != nil {
		return nil, fmt.Errorf("init scripts: %w", err)
	}
	// Alias= names become symlinks when the unit is enabled (Debian's
	// deb-systemd-helper does so at install), and the generator then sees
	// a unit of that name.
	aliases := map[string]string{}
	for _, n := range l.Names("service") {
		u, err := l.Load(n)
		if err != nil || u.Masked || u.AliasOf != "" {
			continue
		}
		for _, f := range u.Files {
			for _, a := range f.Assignments {
				if a.Section == "Install" && a.Key == "Alias" {
					for _, w := range strings.Fields(a.Value) {
						if _, ok := aliases[w]; !ok {
							aliases[w] = u.Path
						}
					}
				}
			}
		}
	}
	for i := range out {
		s := &out[i]
		if p := l.Path(s.Unit); p != "" {
			s.Replaced, s.How = p, "unit"
			if u, err := l.Load(s.Unit); err == nil && u.Masked {
				s.How = "masked"
			}
			continue
		}
		if p, ok := aliases[s.Unit]; ok {
			s.Replaced, s.How = p, "alias"
		}
	}
	describe(pkg, l, out)
	return out, nil
}

// Findings turns scripts into findings: sysv-init-script-with-unit (info)
// for a replaced script, sysv-init-script-without-unit (warning) for one
// that nothing replaces, and sysv-default-file-not-read-by-unit (info)
// when the script's settings file is shipped but the unit ignores it.
func Findings(pkg *pkgmodel.Package, scripts []Script, tier string) []finding.Finding {
	var fs []finding.Finding
	for _, s := range scripts {
		f := finding.Finding{Package: pkg.Name, Version: pkg.Version, Arch: pkg.Arch, Unit: s.Unit,
			Path: s.Path, Tier: tier}
		switch s.How {
		case "":
			f.Tag, f.Severity, f.Detail = "sysv-init-script-without-unit", finding.Warning, s.Path
		case "masked":
			f.Tag, f.Severity, f.Detail = "sysv-init-script-with-unit", finding.Info, fmt.Sprintf("%s (masked by %s)", s.Path, s.Replaced)
		case "alias":
			f.Tag, f.Severity, f.Detail = "sysv-init-script-with-unit", finding.Info, fmt.Sprintf("%s (Alias= of %s)", s.Path, s.Replaced)
		case "provides":
			f.Tag, f.Severity, f.Detail = "sysv-init-script-with-unit", finding.Info, fmt.Sprintf("%s (LSB Provides: %s)", s.Path, s.Replaced)
		default:
			f.Tag, f.Severity, f.Detail = "sysv-init-script-with-unit", finding.Info, fmt.Sprintf("%s (unit %s)", s.Path, s.Replaced)
		}
		fs = append(fs, f)
		// Settings in /etc/default/<name> that only the script read are
		// silently ignored under systemd; dropping the script is the
		// moment to decide what becomes of them.
		if s.Default != "" && s.How != "" && s.How != "masked" && !s.UnitReadsDefault {
			d := f
			d.Tag, d.Severity, d.Path = "sysv-default-file-not-read-by-unit", finding.Info, s.Default
			d.Detail = fmt.Sprintf("%s (unit %s has no EnvironmentFile=%s)", s.Default, s.Replaced, s.Default)
			fs = append(fs, d)
		}
	}
	return fs
}
