package signals

import (
	"path"
	"strings"

	"github.com/systemd-harden/systemd-harden/internal/finding"
	"github.com/systemd-harden/systemd-harden/internal/pkgmodel"
)

// relation is one comma-separated element of a dependency field: the text
// as written and the package names it offers (several for "a | b").
type relation struct {
	field string
	text  string
	names []string
}

// controlPath is where a package's metadata lives, for evidence: the
// control file of a Debian binary package (as in a build tree), the
// header of an RPM.
func controlPath(f pkgmodel.Format) string {
	if f == pkgmodel.RPM {
		return "header"
	}
	return "DEBIAN/control"
}

// scriptPath names a maintainer script for evidence.
func scriptPath(f pkgmodel.Format, name string) string {
	if f == pkgmodel.RPM {
		return name
	}
	return "DEBIAN/" + name
}

func (r relation) evidence(f pkgmodel.Format) finding.Evidence {
	return finding.Evidence{Path: controlPath(f), Text: r.field + ": " + r.text}
}

// depFields are the fields whose packages are installed with this one:
// what the service can run or load. RPM's Requires also lists sonames
// ("libpcre2-8.so.0()(64bit)") and files ("/bin/sh"); the patterns match
// those where it matters.
func depFields(f pkgmodel.Format, recommends bool) []string {
	if f == pkgmodel.RPM {
		return []string{"Requires"}
	}
	if recommends {
		return []string{"Pre-Depends", "Depends", "Recommends"}
	}
	return []string{"Pre-Depends", "Depends"}
}

// relations parses the named fields. Versions ("(>= 1)", "= 1.0-1"),
// architecture qualifiers (":any"), restriction lists ("[amd64]",
// "<!nocheck>") and RPM's "(pre)"-style qualifiers are dropped from names.
func relations(p *pkgmodel.Package, fields ...string) []relation {
	var out []relation
	for _, f := range fields {
		v, ok := p.Control[f]
		if !ok {
			continue
		}
		for _, part := range splitTop(v, ',') {
			text := strings.Join(strings.Fields(part), " ")
			if text == "" {
				continue
			}
			r := relation{field: f, text: text}
			for _, alt := range splitTop(part, '|') {
				if n := relName(alt); n != "" {
					r.names = append(r.names, n)
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// splitTop splits s at sep outside parentheses (RPM rich dependencies and
// sonames carry commas and pipes only inside them).
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func relName(s string) string {
	s = strings.TrimSpace(s)
	// An RPM soname keeps its "(…)" suffixes: "libfoo.so.1()(64bit)".
	if i := strings.IndexAny(s, " \t\n[<"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, '('); i >= 0 && !strings.Contains(s[:i], ".so") {
		s = s[:i]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	for _, op := range []string{">=", "<=", "=", ">", "<"} {
		if i := strings.Index(s, op); i >= 0 {
			s = s[:i]
		}
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// matchName reports whether a package name matches one of the globs.
func matchName(name string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// dependsOn returns evidence for each dependency relation naming a package
// that matches the patterns.
func (c *ctx) dependsOn(recommends bool, patterns ...string) []finding.Evidence {
	var out []finding.Evidence
	for _, r := range relations(c.pkg, depFields(c.pkg.Format, recommends)...) {
		for _, n := range r.names {
			if matchName(n, patterns) {
				out = append(out, r.evidence(c.pkg.Format))
				break
			}
		}
	}
	return out
}

// provides returns evidence for each Provides relation naming one of the
// (virtual) packages.
func (c *ctx) provides(patterns ...string) []finding.Evidence {
	var out []finding.Evidence
	for _, r := range relations(c.pkg, "Provides") {
		for _, n := range r.names {
			if matchName(n, patterns) {
				out = append(out, r.evidence(c.pkg.Format))
				break
			}
		}
	}
	return out
}

// is returns evidence when the package itself matches the patterns.
func (c *ctx) is(patterns ...string) []finding.Evidence {
	n := strings.ToLower(c.pkg.Name)
	if n == "" || !matchName(n, patterns) {
		return nil
	}
	field := "Package"
	if c.pkg.Format == pkgmodel.RPM {
		field = "Name"
	}
	return []finding.Evidence{{Path: controlPath(c.pkg.Format), Text: field + ": " + c.pkg.Name}}
}

// isOrDependsOn is is and dependsOn (Depends/Pre-Depends; RPM Requires).
func (c *ctx) isOrDependsOn(patterns ...string) []finding.Evidence {
	return append(c.is(patterns...), c.dependsOn(false, patterns...)...)
}
